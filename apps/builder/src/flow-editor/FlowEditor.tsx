import { validateFlow, type FlowGraph, type NodeType } from '@nudgeflow/flow-schema';
import { useQueryClient } from '@tanstack/react-query';
import { useReactFlow } from '@xyflow/react';
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { type FlowVersion } from '../api/flows';
import {
  CLIPBOARD_STORAGE_KEY,
  copySelection,
  pasteInto,
  serializeClipboard,
  type ClipboardPayload,
} from '../editor/clipboard';
import {
  issuesByNode,
  mergeDiagramEdges,
  mergeDiagramNodes,
  toDiagram,
  type DiagramEdge,
} from '../editor/diagram';
import { addNode, insertOnEdge, moveNodes, removeElements } from '../editor/graph-edit';
import { BIG_FLOW_NODES, startViewport } from '../editor/start-viewport';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { useLiveCounts } from '../hooks/useLiveCounts';
import { toast } from '../state/toast-store';
import { EditorActionsContext, type EditorActions } from './editor-actions';
import { useEditorStore, type DraftDoc } from './editor-store';
import { type FlowDiagramNode } from './FlowNodeCard';
import { type FlowDiagramEdge } from './InsertableEdge';
import { Palette } from './Palette';
import { PublishDialog } from './PublishDialog';
import { EditorBanners } from './EditorBanners';
import { EditorSidePanel, type ForecastOverlay, type PanelTab } from './EditorSidePanel';
import { EditorToolbar } from './EditorToolbar';
import { useAutosave } from './use-autosave';
import { useEditorKeyboard } from './use-editor-keyboard';
import { EditorCanvas } from './EditorCanvas';

export function FlowEditor({ reload }: { reload: () => Promise<void> }) {
  const { siteId, canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const store = useEditorStore;
  const flowId = store((state) => state.flowId) as string;
  const doc = store((state) => state.history.present);
  const status = store((state) => state.status);
  const publishedVersion = store((state) => state.publishedVersion);
  const serverIssues = store((state) => state.serverIssues);
  const selectedNodeId = store((state) => state.selectedNodeId);
  const simulation = store((state) => state.simulation);
  const edit = store((state) => state.edit);

  const [viewing, setViewing] = useState<FlowVersion | null>(null);
  const [tab, setTab] = useState<PanelTab>('issues');
  const [publishing, setPublishing] = useState(false);
  const readOnly = !canEdit || viewing !== null;
  const shownGraph: FlowGraph = viewing?.graph ?? doc.graph;
  const flow = useReactFlow<FlowDiagramNode, FlowDiagramEdge>();
  // Decided once, when the editor opens: a big flow opens on its start, not fitted (start-viewport.ts).
  const [opening] = useState(() => {
    const big = shownGraph.nodes.length > BIG_FLOW_NODES;
    const estimate = {
      width: Math.max(320, window.innerWidth - 760),
      height: Math.max(240, window.innerHeight - 110),
    };
    return { big, viewport: big ? startViewport(shownGraph, estimate) : undefined };
  });
  const wrapper = useRef<HTMLDivElement>(null);
  const selectedIds = useRef<string[]>([]);
  const pendingSelection = useRef<Set<string> | null>(null);

  // Validation runs in the browser with the shared rules on every edit; a server check adds refs.
  // On open the first paint skips validation (initial value null); it follows in a background render.
  const deferredDoc = useDeferredValue<DraftDoc | null>(doc, null);
  const liveIssues = useMemo(
    () => (deferredDoc ? validateFlow(deferredDoc.graph, deferredDoc.settings) : []),
    [deferredDoc],
  );
  const issues = serverIssues ?? liveIssues;
  const grouped = useMemo(
    () => issuesByNode(shownGraph, viewing ? [] : issues),
    [shownGraph, issues, viewing],
  );

  const stats = useLiveCounts(siteId, flowId, status !== 'draft' && publishedVersion !== null);
  // A backtest's forecast, when shown, replaces the live counts on the canvas (drawn as a forecast).
  const [forecast, setForecast] = useState<ForecastOverlay | null>(null);
  const counts = forecast?.counts ?? stats.data?.nodes;
  const countsKind = forecast ? 'forecast' : 'live';

  const derived = useMemo(
    () =>
      toDiagram(shownGraph, {
        errors: grouped.byNode,
        counts,
        countsKind,
        highlight: simulation ?? undefined,
        readOnly,
      }),
    [shownGraph, grouped, counts, countsKind, simulation, readOnly],
  );
  const [nodes, setNodes] = useState<FlowDiagramNode[]>([]);
  const [edges, setEdges] = useState<FlowDiagramEdge[]>([]);
  useEffect(() => {
    setNodes((previous) => {
      const merged = mergeDiagramNodes(previous, derived.nodes) as FlowDiagramNode[];
      const pending = pendingSelection.current;
      if (!pending) return merged;
      pendingSelection.current = null;
      return merged.map((node) => ({ ...node, selected: pending.has(node.id) }));
    });
    setEdges(
      (previous) =>
        mergeDiagramEdges(previous as unknown as DiagramEdge[], derived.edges) as FlowDiagramEdge[],
    );
  }, [derived]);

  const fitAfterLayout = useRef(false);
  useEffect(() => {
    if (!fitAfterLayout.current) return;
    fitAfterLayout.current = false;
    void flow.fitView({ padding: 0.15, duration: 300 });
  }, [nodes, flow]);

  const selectedNode = shownGraph.nodes.find((node) => node.id === selectedNodeId) ?? null;
  useEffect(() => {
    if (selectedNodeId) setTab('step');
  }, [selectedNodeId]);

  const { save, flush } = useAutosave(siteId, flowId, canEdit);

  // ----- edits -----
  const centerPosition = useCallback(() => {
    const box = wrapper.current?.getBoundingClientRect();
    if (!box) return { x: 0, y: 0 };
    const point = flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 });
    return { x: point.x - 120, y: point.y };
  }, [flow]);

  const addAt = useCallback(
    (type: NodeType, position: { x: number; y: number }) => {
      let added = '';
      edit((current) => {
        const result = addNode(current.graph, type, position);
        added = result.node.id;
        return { ...current, graph: result.graph };
      });
      pendingSelection.current = new Set([added]);
      store.getState().select(added);
    },
    [edit, store],
  );

  const removeSelection = useCallback(
    (nodeIds: string[], edgeIds: string[]) => {
      if (nodeIds.length + edgeIds.length === 0) return;
      edit((current) => ({ ...current, graph: removeElements(current.graph, nodeIds, edgeIds) }));
      if (selectedNodeId && nodeIds.includes(selectedNodeId)) store.getState().select(null);
    },
    [edit, selectedNodeId, store],
  );

  const confirmDelete = useCallback(
    (nodeIds: string[]) => {
      const waiting = nodeIds.reduce((sum, id) => sum + (counts?.[id]?.waiting ?? 0), 0);
      if (waiting === 0) return true;
      return window.confirm(
        `${waiting} visitor${waiting === 1 ? ' is' : 's are'} waiting in ${nodeIds.length === 1 ? 'this step' : 'these steps'} on the live version. Deleting only affects the draft, but once published they will exit the flow. Delete anyway?`,
      );
    },
    [counts],
  );

  const copy = useCallback((): ClipboardPayload | null => {
    const payload = copySelection(store.getState().history.present.graph, selectedIds.current);
    if (payload) localStorage.setItem(CLIPBOARD_STORAGE_KEY, serializeClipboard(payload));
    return payload;
  }, [store]);

  const paste = useCallback(
    (payload: ClipboardPayload | null) => {
      if (!payload || readOnly) return;
      let pasted: string[] = [];
      edit((current) => {
        const result = pasteInto(current.graph, payload, { offset: { x: 40, y: 40 } });
        pasted = result.nodeIds;
        return { ...current, graph: result.graph };
      });
      pendingSelection.current = new Set(pasted);
      toast(`Pasted ${pasted.length} step${pasted.length === 1 ? '' : 's'}`);
    },
    [edit, readOnly],
  );

  const actions = useMemo<EditorActions>(
    () => ({
      readOnly,
      insertOnEdge: (edgeId, type) => {
        let added = '';
        let failure = '';
        edit((current) => {
          const result = insertOnEdge(current.graph, edgeId, type);
          if (!result.ok) {
            failure = result.message;
            return current;
          }
          added = result.node.id;
          return { ...current, graph: result.graph };
        });
        if (failure) toast(failure, 'error');
        else {
          pendingSelection.current = new Set([added]);
          store.getState().select(added);
        }
      },
    }),
    [readOnly, edit, store],
  );

  useEditorKeyboard({ readOnly, selectedIds, setNodes, copy, paste, confirmDelete, removeSelection });

  const autoLayout = useCallback(async () => {
    try {
      const [{ default: ELK }, { layoutPositions }] = await Promise.all([
        import('elkjs/lib/elk.bundled.js'),
        import('../editor/auto-layout'),
      ]);
      const sizes = new Map(
        flow
          .getNodes()
          .map((node) => [
            node.id,
            { width: node.measured?.width ?? 240, height: node.measured?.height ?? 96 },
          ]),
      );
      const positions = await layoutPositions(store.getState().history.present.graph, new ELK(), sizes);
      // Fit once the moved nodes reached React Flow (see the effect on `nodes`), not the old positions.
      fitAfterLayout.current = true;
      edit((current) => ({ ...current, graph: moveNodes(current.graph, positions) }));
    } catch (error) {
      toast(`Auto-layout failed: ${errorMessage(error)}`, 'error');
    }
  }, [edit, flow, store]);

  const focusNode = (nodeId: string) => {
    const node = flow.getNode(nodeId);
    if (!node) return;
    store.getState().select(nodeId);
    setNodes((current) => current.map((candidate) => ({ ...candidate, selected: candidate.id === nodeId })));
    void flow.setCenter(node.position.x + 120, node.position.y + 48, { zoom: 1.1, duration: 300 });
  };

  return (
    <EditorActionsContext.Provider value={actions}>
      <div className="editor">
        <EditorToolbar
          viewing={viewing}
          readOnly={readOnly}
          flush={flush}
          reload={reload}
          copy={copy}
          paste={paste}
          autoLayout={autoLayout}
          onServerIssues={(errors) => {
            if (errors) store.getState().patch({ serverIssues: errors });
            setTab('issues');
          }}
          onPublish={() => setPublishing(true)}
        />
        <EditorBanners viewing={viewing} onBackToDraft={() => setViewing(null)} save={save} reload={reload} />

        <div className="editor__body">
          {!readOnly ? (
            <Palette onAdd={(type) => addAt(type, centerPosition())} />
          ) : (
            <div className="palette palette--empty" aria-hidden="true" />
          )}
          <EditorCanvas
            nodes={nodes}
            setNodes={setNodes}
            edges={edges}
            setEdges={setEdges}
            wrapper={wrapper}
            selectedIds={selectedIds}
            readOnly={readOnly}
            empty={shownGraph.nodes.length === 0}
            opening={opening}
            addAt={addAt}
            confirmDelete={confirmDelete}
            removeSelection={removeSelection}
          />

          <EditorSidePanel
            tab={tab}
            setTab={setTab}
            issues={issues}
            checking={deferredDoc === null}
            shownGraph={shownGraph}
            selectedNode={selectedNode}
            issuesOf={(nodeId) => grouped.byNode.get(nodeId) ?? []}
            viewing={viewing}
            setViewing={setViewing}
            readOnly={readOnly}
            confirmDelete={confirmDelete}
            removeSelection={removeSelection}
            focusNode={focusNode}
            reload={reload}
            forecast={forecast}
            onForecast={setForecast}
          />
        </div>
        <PublishDialog
          open={publishing}
          onClose={() => setPublishing(false)}
          onPublished={async (version) => {
            setPublishing(false);
            toast(`Published version ${version}`);
            await reload();
            void queryClient.invalidateQueries({ queryKey: ['flow-versions', siteId, flowId] });
          }}
          onInvalid={(errors) => {
            setPublishing(false);
            store.getState().patch({ serverIssues: errors });
            setTab('issues');
            toast(`Not published: ${errors.length} problem(s) to fix`, 'error');
          }}
        />
      </div>
    </EditorActionsContext.Provider>
  );
}
