import { NODE_REGISTRY, type NodeType } from '@nudgeflow/flow-schema';
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
  type Viewport,
} from '@xyflow/react';
import { useCallback, type Dispatch, type RefObject, type SetStateAction } from 'react';
import { checkConnection, connect, moveNodes } from '../editor/graph-edit';
import { startViewport } from '../editor/start-viewport';
import { toast } from '../state/toast-store';
import { useEditorStore } from './editor-store';
import { FlowNodeCard, type FlowDiagramNode } from './FlowNodeCard';
import { InsertableEdge, type FlowDiagramEdge } from './InsertableEdge';
import { DRAG_MIME } from './Palette';
import { useFarZoom } from './zoom';

const nodeTypes = { flow: FlowNodeCard };
const edgeTypes = { flow: InsertableEdge };

/**
 * The diagram itself: React Flow over the derived nodes and edges, with drop from the palette,
 * connecting, dragging, selecting and deleting turned into graph edits.
 */
export function EditorCanvas({
  nodes,
  setNodes,
  edges,
  setEdges,
  wrapper,
  selectedIds,
  readOnly,
  empty,
  opening,
  addAt,
  confirmDelete,
  removeSelection,
}: {
  nodes: FlowDiagramNode[];
  setNodes: Dispatch<SetStateAction<FlowDiagramNode[]>>;
  edges: FlowDiagramEdge[];
  setEdges: Dispatch<SetStateAction<FlowDiagramEdge[]>>;
  wrapper: RefObject<HTMLDivElement | null>;
  selectedIds: RefObject<string[]>;
  readOnly: boolean;
  /** The shown graph has no steps yet. */
  empty: boolean;
  /** Decided once when the editor opens: a big flow opens on its start, not fitted. */
  opening: { big: boolean; viewport?: Viewport };
  addAt: (type: NodeType, position: { x: number; y: number }) => void;
  confirmDelete: (nodeIds: string[]) => boolean;
  removeSelection: (nodeIds: string[], edgeIds: string[]) => void;
}) {
  const store = useEditorStore;
  const edit = store((state) => state.edit);
  const flow = useReactFlow<FlowDiagramNode, FlowDiagramEdge>();
  const farZoom = useFarZoom();

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowDiagramNode>[]) =>
      setNodes((current) =>
        applyNodeChanges(
          changes.filter((change) => change.type !== 'remove'),
          current,
        ),
      ),
    [],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange<FlowDiagramEdge>[]) =>
      setEdges((current) =>
        applyEdgeChanges(
          changes.filter((change) => change.type !== 'remove'),
          current,
        ),
      ),
    [],
  );
  const isValidConnection = useCallback(
    (connection: Connection | Edge) =>
      !readOnly && checkConnection(store.getState().history.present.graph, connection).ok,
    [readOnly, store],
  );
  const onConnect = useCallback(
    (connection: Connection) => {
      let failure = '';
      edit((current) => {
        const result = connect(current.graph, connection);
        if (!result.ok) {
          failure = result.message;
          return current;
        }
        return { ...current, graph: result.graph };
      });
      if (failure) toast(failure, 'error');
    },
    [edit],
  );

  return (
    <div
      className={`editor__canvas${farZoom ? ' editor__canvas--far' : ''}`}
      ref={wrapper}
      onDragOver={(event) => {
        if (event.dataTransfer.types.includes(DRAG_MIME)) {
          event.preventDefault();
          event.dataTransfer.dropEffect = 'move';
        }
      }}
      onDrop={(event) => {
        const type = event.dataTransfer.getData(DRAG_MIME);
        if (!type || readOnly || !(type in NODE_REGISTRY)) return;
        event.preventDefault();
        const point = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
        addAt(type as NodeType, { x: point.x - 120, y: point.y - 30 });
      }}
    >
      <ReactFlow<FlowDiagramNode, FlowDiagramEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onNodeDragStop={(_event, _node, dragged) =>
          edit((current) => ({
            ...current,
            graph: moveNodes(current.graph, new Map(dragged.map((node) => [node.id, node.position]))),
          }))
        }
        onSelectionChange={({ nodes: selected }) => {
          selectedIds.current = selected.map((node) => node.id);
          const only = selected.length === 1 ? (selected[0]?.id ?? null) : null;
          if (only !== store.getState().selectedNodeId && (only || selected.length > 1))
            store.getState().select(only);
        }}
        onPaneClick={() => store.getState().select(null)}
        onBeforeDelete={async ({ nodes: doomed }) => confirmDelete(doomed.map((node) => node.id))}
        onDelete={({ nodes: doomed, edges: cut }) =>
          removeSelection(
            doomed.map((node) => node.id),
            cut.map((edge) => edge.id),
          )
        }
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        selectionOnDrag={false}
        fitView={!opening.big}
        fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }}
        defaultViewport={opening.viewport}
        onInit={(instance) => {
          const box = wrapper.current?.getBoundingClientRect();
          if (opening.big && box)
            void instance.setViewport(startViewport(store.getState().history.present.graph, box));
        }}
        minZoom={0.1}
        onlyRenderVisibleElements={nodes.length > 150}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ type: 'flow' }}
      >
        <Background gap={20} color="#d7dbe6" />
        <Controls showInteractive={false} position="bottom-left" />
        {/* Top right, small: never over the zoom controls or the "+" of low connections. */}
        <MiniMap
          pannable
          zoomable
          position="top-right"
          style={{ width: 150, height: 100 }}
          ariaLabel="Overview of the flow"
        />
      </ReactFlow>
      {empty && (
        <div className="editor__empty">
          <h2>Start with a trigger</h2>
          <p className="muted">
            {readOnly
              ? 'This flow has no steps yet.'
              : 'Drag a trigger such as “Page visit” or “Event” from the left, then add logic and actions below it.'}
          </p>
        </div>
      )}
    </div>
  );
}
