import {
  FlowSettingsSchema,
  NODE_REGISTRY,
  validateFlow,
  type FlowGraph,
  type NodeType,
} from '@nudgeflow/flow-schema';
import { useQueryClient } from '@tanstack/react-query';
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
} from '@xyflow/react';
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { errorMessage } from '../api/client';
import { flowsApi, type FlowVersion } from '../api/flows';
import { Menu } from '../components/Menu';
import { StatusBadge } from '../components/StatusBadge';
import {
  CLIPBOARD_STORAGE_KEY,
  copySelection,
  parseClipboard,
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
import {
  addNode,
  checkConnection,
  connect,
  insertOnEdge,
  moveNodes,
  removeElements,
} from '../editor/graph-edit';
import { canRedo, canUndo } from '../editor/history';
import { BIG_FLOW_NODES, startViewport } from '../editor/start-viewport';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { useLiveCounts } from '../hooks/useLiveCounts';
import { toast } from '../state/toast-store';
import { ConfigForm } from './ConfigForm';
import { EditorActionsContext, type EditorActions } from './editor-actions';
import { useEditorStore, type DraftDoc } from './editor-store';
import { FlowNodeCard, type FlowDiagramNode } from './FlowNodeCard';
import { InsertableEdge, type FlowDiagramEdge } from './InsertableEdge';
import { isTypingTarget } from './keyboard';
import { NodePanel } from './NodePanel';
import { DRAG_MIME, Palette } from './Palette';
import { PublishDialog } from './PublishDialog';
import { SimulatorPanel } from './SimulatorPanel';
import { VersionsPanel } from './VersionsPanel';
import { useFarZoom } from './zoom';

const nodeTypes = { flow: FlowNodeCard };
const edgeTypes = { flow: InsertableEdge };
const AUTOSAVE_DELAY_MS = 800;

type PanelTab = 'step' | 'issues' | 'settings' | 'versions' | 'simulate';

export function FlowEditor({ reload }: { reload: () => Promise<void> }) {
  const { siteId, canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const store = useEditorStore;
  const flowId = store((state) => state.flowId) as string;
  const doc = store((state) => state.history.present);
  const history = store((state) => state.history);
  const status = store((state) => state.status);
  const revision = store((state) => state.revision);
  const publishedVersion = store((state) => state.publishedVersion);
  const saveState = store((state) => state.saveState);
  const saveError = store((state) => state.saveError);
  const conflictRevision = store((state) => state.conflictRevision);
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
  const farZoom = useFarZoom();
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
  const counts = stats.data?.nodes;

  const derived = useMemo(
    () =>
      toDiagram(shownGraph, { errors: grouped.byNode, counts, highlight: simulation ?? undefined, readOnly }),
    [shownGraph, grouped, counts, simulation, readOnly],
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

  // ----- autosave -----
  const save = useCallback(
    async (overwriteRevision?: number) => {
      const state = store.getState();
      const sent: DraftDoc = state.history.present;
      store.getState().patch({ saveState: 'saving', saveError: null });
      try {
        const result = await flowsApi.saveDraft(siteId, flowId, {
          revision: overwriteRevision ?? state.revision,
          graph: sent.graph,
          settings: sent.settings,
          name: sent.name,
        });
        if (!result.ok) {
          store.getState().patch({ saveState: 'conflict', conflictRevision: result.currentRevision });
          return false;
        }
        const now = store.getState().history.present;
        store.getState().patch({
          revision: result.revision,
          savedDoc: sent,
          conflictRevision: null,
          saveState: now === sent ? 'saved' : 'dirty',
        });
        void queryClient.invalidateQueries({ queryKey: ['flows', siteId] });
        return true;
      } catch (error) {
        store.getState().patch({ saveState: 'error', saveError: errorMessage(error) });
        return false;
      }
    },
    [siteId, flowId, store, queryClient],
  );
  useEffect(() => {
    if (saveState !== 'dirty' || !canEdit) return;
    const timer = setTimeout(() => void save(), AUTOSAVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [doc, saveState, canEdit, save]);
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      const current = store.getState().saveState;
      if (current === 'dirty' || current === 'saving' || current === 'conflict') event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [store]);

  const flush = useCallback(async () => {
    const current = store.getState().saveState;
    if (current === 'conflict') {
      toast('Resolve the conflict first: reload their version or overwrite it', 'error');
      return false;
    }
    if (current === 'dirty' || current === 'error') return save();
    return true;
  }, [save, store]);

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

  // ----- keyboard: undo/redo here; copy/cut/paste through the clipboard events -----
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTypingTarget(event.target)) return;
      const mod = event.metaKey || event.ctrlKey;
      if (!mod) return;
      const key = event.key.toLowerCase();
      if (key === 'z' && !readOnly) {
        event.preventDefault();
        if (event.shiftKey) store.getState().redo();
        else store.getState().undo();
      } else if (key === 'y' && !readOnly) {
        event.preventDefault();
        store.getState().redo();
      } else if (key === 'a') {
        event.preventDefault();
        setNodes((current) => current.map((node) => ({ ...node, selected: true })));
      }
    };
    const onCopy = (event: ClipboardEvent) => {
      if (isTypingTarget(event.target) || selectedIds.current.length === 0) return;
      const payload = copy();
      if (!payload) return;
      event.clipboardData?.setData('text/plain', serializeClipboard(payload));
      event.preventDefault();
      toast(`Copied ${payload.nodes.length} step${payload.nodes.length === 1 ? '' : 's'}`);
    };
    const onCut = (event: ClipboardEvent) => {
      if (readOnly) return;
      const ids = [...selectedIds.current];
      onCopy(event);
      if (event.defaultPrevented && confirmDelete(ids)) removeSelection(ids, []);
    };
    const onPaste = (event: ClipboardEvent) => {
      if (isTypingTarget(event.target) || readOnly) return;
      const text = event.clipboardData?.getData('text/plain') ?? '';
      const payload =
        parseClipboard(text) ?? parseClipboard(localStorage.getItem(CLIPBOARD_STORAGE_KEY) ?? '');
      if (!payload) return;
      event.preventDefault();
      paste(payload);
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('cut', onCut);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('cut', onCut);
      document.removeEventListener('paste', onPaste);
    };
  }, [readOnly, store, copy, paste, confirmDelete, removeSelection]);

  // ----- React Flow wiring -----
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

  const validateOnServer = async () => {
    if (!(await flush())) return;
    try {
      const result = await flowsApi.validate(siteId, flowId);
      store.getState().patch({ serverIssues: result.errors });
      setTab('issues');
      toast(
        result.errors.length
          ? `${result.errors.length} problem(s) found`
          : 'No problems found: ready to publish',
      );
    } catch (error) {
      toast(
        `Server validation unavailable: ${errorMessage(error)}. Showing the checks run in the browser.`,
        'error',
      );
      setTab('issues');
    }
  };

  const lifecycle = async (action: 'pause' | 'resume') => {
    try {
      await flowsApi[action](siteId, flowId);
      toast(action === 'pause' ? 'Flow paused: no new visitors enter' : 'Flow resumed');
      await reload();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
  };

  const exportJson = async () => {
    try {
      const document = await flowsApi.exportJson(siteId, flowId);
      const blob = new Blob([JSON.stringify(document, null, 2)], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const link = Object.assign(window.document.createElement('a'), {
        href: url,
        download: `${doc.name.replace(/[^\w-]+/g, '-').toLowerCase() || 'flow'}.json`,
      });
      link.click();
      URL.revokeObjectURL(url);
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
  };

  const focusNode = (nodeId: string) => {
    const node = flow.getNode(nodeId);
    if (!node) return;
    store.getState().select(nodeId);
    setNodes((current) => current.map((candidate) => ({ ...candidate, selected: candidate.id === nodeId })));
    void flow.setCenter(node.position.x + 120, node.position.y + 48, { zoom: 1.1, duration: 300 });
  };

  const issueCount = issues.length;
  const saveLabel = {
    saved: `Saved · rev ${revision}`,
    dirty: 'Unsaved changes…',
    saving: 'Saving…',
    conflict: 'Not saved: conflict',
    error: 'Not saved',
  }[saveState];

  return (
    <EditorActionsContext.Provider value={actions}>
      <div className="editor">
        <header className="editor__bar">
          <Link
            to={`/sites/${siteId}/flows`}
            className="btn btn--ghost btn--small"
            aria-label="Back to flows"
          >
            ←
          </Link>
          <label className="visually-hidden" htmlFor="flow-name">
            Flow name
          </label>
          <input
            id="flow-name"
            className="input editor__name"
            value={viewing ? `${doc.name} — version ${viewing.version}` : doc.name}
            disabled={readOnly}
            maxLength={200}
            onChange={(event) => edit((current) => ({ ...current, name: event.target.value }), 'name')}
          />
          <StatusBadge status={status} />
          {publishedVersion !== null && <span className="badge">v{publishedVersion} live</span>}
          <span className={`editor__save editor__save--${saveState}`} role="status" aria-live="polite">
            {saveLabel}
          </span>
          <span className="spacer" />
          {!readOnly && (
            <>
              <button
                type="button"
                className="btn btn--small"
                onClick={() => store.getState().undo()}
                disabled={!canUndo(history)}
                title="Undo (Ctrl/Cmd+Z)"
              >
                Undo
              </button>
              <button
                type="button"
                className="btn btn--small"
                onClick={() => store.getState().redo()}
                disabled={!canRedo(history)}
                title="Redo (Ctrl/Cmd+Shift+Z)"
              >
                Redo
              </button>
              <button type="button" className="btn btn--small" onClick={() => void autoLayout()}>
                Auto-layout
              </button>
            </>
          )}
          <button
            type="button"
            className="btn btn--small"
            onClick={() => void flow.fitView({ padding: 0.15, duration: 300 })}
          >
            Fit view
          </button>
          <Menu label="More actions">
            {(closeMore) => (
              <>
                {!readOnly && (
                  <>
                    <button
                      type="button"
                      role="menuitem"
                      title="Copy the selected steps (Ctrl/Cmd+C)"
                      onClick={() => {
                        closeMore();
                        const payload = copy();
                        toast(
                          payload ? `Copied ${payload.nodes.length} step(s)` : 'Select steps to copy first',
                        );
                      }}
                    >
                      Copy steps
                    </button>
                    <button
                      type="button"
                      role="menuitem"
                      title="Paste steps copied from any flow (Ctrl/Cmd+V)"
                      onClick={() => {
                        closeMore();
                        const payload = parseClipboard(localStorage.getItem(CLIPBOARD_STORAGE_KEY) ?? '');
                        if (payload) paste(payload);
                        else toast('Nothing to paste: copy some steps first', 'error');
                      }}
                    >
                      Paste steps
                    </button>
                  </>
                )}
                <button
                  type="button"
                  role="menuitem"
                  onClick={() => {
                    closeMore();
                    void exportJson();
                  }}
                >
                  Export as JSON
                </button>
                {flowId && (
                  <Link role="menuitem" to={`/sites/${siteId}/runs?flow=${flowId}`} onClick={closeMore}>
                    Runs of this flow
                  </Link>
                )}
              </>
            )}
          </Menu>
          {canEdit && !viewing && (
            <>
              {status === 'live' && (
                <button type="button" className="btn btn--small" onClick={() => void lifecycle('pause')}>
                  Pause
                </button>
              )}
              {status === 'paused' && (
                <button type="button" className="btn btn--small" onClick={() => void lifecycle('resume')}>
                  Resume
                </button>
              )}
              <button type="button" className="btn btn--small" onClick={() => void validateOnServer()}>
                Validate
              </button>
              <button
                type="button"
                className="btn btn--primary btn--small"
                onClick={async () => {
                  if (await flush()) setPublishing(true);
                }}
              >
                Publish…
              </button>
            </>
          )}
        </header>

        {saveState === 'conflict' && (
          <div className="banner banner--warning editor__banner" role="alert">
            <strong>Edited elsewhere.</strong>
            <span>
              Someone saved this flow (revision {conflictRevision}) after you opened it. Your latest changes
              are not saved.
            </span>
            <button
              type="button"
              className="btn btn--small"
              onClick={() => {
                if (window.confirm('Discard your unsaved changes and load the saved version?')) void reload();
              }}
            >
              Reload their version
            </button>
            <button
              type="button"
              className="btn btn--small btn--danger"
              onClick={() => {
                if (window.confirm('Replace their version with yours?'))
                  void save(conflictRevision ?? undefined);
              }}
            >
              Overwrite with mine
            </button>
          </div>
        )}
        {saveState === 'error' && (
          <div className="banner banner--error editor__banner" role="alert">
            <span>Could not save the draft: {saveError}</span>
            <button type="button" className="btn btn--small" onClick={() => void save()}>
              Retry now
            </button>
          </div>
        )}
        {!canEdit && (
          <div className="banner banner--info editor__banner">
            You have read-only access: you can look but not edit.
          </div>
        )}
        {viewing && (
          <div className="banner banner--info editor__banner" role="status">
            <span>
              Viewing published version {viewing.version} (read only).
              {viewing.note ? ` Note: “${viewing.note}”` : ''}
            </span>
            <button type="button" className="btn btn--small" onClick={() => setViewing(null)}>
              Back to the draft
            </button>
          </div>
        )}

        <div className="editor__body">
          {!readOnly ? (
            <Palette onAdd={(type) => addAt(type, centerPosition())} />
          ) : (
            <div className="palette palette--empty" aria-hidden="true" />
          )}
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
            {shownGraph.nodes.length === 0 && (
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

          <aside className="panel" aria-label="Details">
            <div className="tabs panel__tabs" role="tablist" aria-label="Panels">
              {(
                [
                  ['step', 'Step'],
                  ['issues', `Issues${issueCount ? ` (${issueCount})` : ''}`],
                  ['settings', 'Settings'],
                  ['versions', 'Versions'],
                  ['simulate', 'Simulate'],
                ] as const
              ).map(([id, label]) => (
                <button
                  key={id}
                  type="button"
                  role="tab"
                  aria-selected={tab === id}
                  id={`panel-tab-${id}`}
                  aria-controls={`panel-${id}`}
                  onClick={() => setTab(id)}
                >
                  {label}
                </button>
              ))}
            </div>
            <div
              className="panel__body"
              role="tabpanel"
              id={`panel-${tab}`}
              aria-labelledby={`panel-tab-${tab}`}
            >
              {tab === 'step' &&
                (selectedNode ? (
                  <NodePanel
                    key={`${selectedNode.id}:${viewing?.version ?? 'draft'}`}
                    node={selectedNode}
                    readOnly={readOnly}
                    issues={grouped.byNode.get(selectedNode.id) ?? []}
                    onDelete={() => {
                      if (confirmDelete([selectedNode.id])) removeSelection([selectedNode.id], []);
                    }}
                  />
                ) : (
                  <p className="panel__section muted">
                    Select a step on the canvas to configure it. Shift-click or Ctrl/Cmd-click to select
                    several.
                  </p>
                ))}
              {tab === 'issues' && (
                <div className="panel__section stack">
                  <p className="muted small">
                    {serverIssues
                      ? 'Checked by the server, including CTAs, endpoints and senders of this site.'
                      : 'Checked in your browser as you edit. “Validate” also checks CTAs, endpoints and senders.'}
                  </p>
                  {deferredDoc === null && !serverIssues ? (
                    <p className="muted small" role="status">
                      Checking…
                    </p>
                  ) : issueCount === 0 ? (
                    <div className="banner banner--success">No problems: this flow can be published.</div>
                  ) : (
                    <ul className="issue-list issue-list--clickable" aria-label="Problems">
                      {issues.map((issue, index) => (
                        <li key={index}>
                          {issue.nodeId && shownGraph.nodes.some((node) => node.id === issue.nodeId) ? (
                            <button type="button" onClick={() => focusNode(issue.nodeId as string)}>
                              <strong>{issue.nodeId}</strong>: {issue.message}
                            </button>
                          ) : (
                            <span>{issue.message}</span>
                          )}
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              )}
              {tab === 'settings' && (
                <div className="panel__section stack">
                  <h2>Flow settings</h2>
                  <ConfigForm
                    key={viewing?.version ?? 'draft'}
                    schema={FlowSettingsSchema}
                    value={viewing?.settings ?? doc.settings}
                    help={{
                      reEntry: 'Whether a visitor can enter this flow again after a run.',
                      maxConcurrentRunsPerVisitor: 'How many runs of this flow one visitor may have at once.',
                      goal: 'Any run converts when this event happens, wherever it is.',
                      exitConditions: 'A waiting run exits when any of these events happens.',
                      quietHours: 'Outbound messages reached in these hours wait until they end.',
                    }}
                    readOnly={readOnly}
                    label="Flow settings"
                    onChange={(settings) =>
                      edit(
                        (current) => ({ ...current, settings: settings as DraftDoc['settings'] }),
                        'settings',
                      )
                    }
                  />
                </div>
              )}
              {tab === 'versions' && (
                <VersionsPanel
                  viewing={viewing}
                  onView={setViewing}
                  draft={doc.graph}
                  onRolledBack={async () => {
                    setViewing(null);
                    await reload();
                  }}
                  onFocusNode={focusNode}
                />
              )}
              {tab === 'simulate' && (
                <SimulatorPanel graph={shownGraph} settings={viewing?.settings ?? doc.settings} />
              )}
            </div>
          </aside>
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
