import { DEFAULT_FLOW_SETTINGS, type FlowGraph, type FlowSettings } from '@nudgeflow/flow-schema';
import { create } from 'zustand';
import type { FlowDetail, FlowIssue, FlowStatus } from '../api/flows';
import { createHistory, record, redo, reset, undo, type History } from '../editor/history';

/** What undo/redo covers: everything the draft PUT sends. */
export interface DraftDoc {
  name: string;
  graph: FlowGraph;
  settings: FlowSettings;
}

export type SaveState = 'saved' | 'dirty' | 'saving' | 'conflict' | 'error';

export interface SimHighlight {
  visited: Set<string>;
  current?: string;
  edges: Set<string>;
}

interface EditorState {
  flowId: string | null;
  status: FlowStatus;
  publishedVersion: number | null;
  revision: number;
  history: History<DraftDoc>;
  /** The document as last saved, to know whether there is anything to save. */
  savedDoc: DraftDoc | null;
  saveState: SaveState;
  saveError: string | null;
  conflictRevision: number | null;
  serverIssues: FlowIssue[] | null;
  selectedNodeId: string | null;
  simulation: SimHighlight | null;

  load: (detail: FlowDetail) => void;
  edit: (update: (doc: DraftDoc) => DraftDoc, key?: string) => void;
  undo: () => void;
  redo: () => void;
  select: (nodeId: string | null) => void;
  patch: (partial: Partial<EditorState>) => void;
}

export const useEditorStore = create<EditorState>((set, get) => ({
  flowId: null,
  status: 'draft',
  publishedVersion: null,
  revision: 0,
  history: createHistory<DraftDoc>({
    name: '',
    graph: { nodes: [], edges: [] },
    settings: DEFAULT_FLOW_SETTINGS,
  }),
  savedDoc: null,
  saveState: 'saved',
  saveError: null,
  conflictRevision: null,
  serverIssues: null,
  selectedNodeId: null,
  simulation: null,

  load: (detail) => {
    const doc: DraftDoc = {
      name: detail.name,
      graph: detail.draft?.graph ?? { nodes: [], edges: [] },
      settings: { ...DEFAULT_FLOW_SETTINGS, ...(detail.draft?.settings ?? {}) },
    };
    const sameFlow = get().flowId === detail.id;
    set({
      flowId: detail.id,
      status: detail.status,
      publishedVersion: detail.publishedVersion,
      revision: detail.revision,
      history: sameFlow ? reset(get().history, doc) : createHistory(doc),
      savedDoc: doc,
      saveState: 'saved',
      saveError: null,
      conflictRevision: null,
      serverIssues: null,
      selectedNodeId: sameFlow ? get().selectedNodeId : null,
      simulation: null,
    });
  },
  edit: (update, key) => {
    const { history } = get();
    const next = update(history.present);
    if (next === history.present) return;
    set({
      history: record(history, next, { key }),
      saveState: get().saveState === 'conflict' ? 'conflict' : 'dirty',
      serverIssues: null,
    });
  },
  undo: () => {
    const history = undo(get().history);
    if (history !== get().history)
      set({ history, saveState: dirtyState(get().saveState), serverIssues: null });
  },
  redo: () => {
    const history = redo(get().history);
    if (history !== get().history)
      set({ history, saveState: dirtyState(get().saveState), serverIssues: null });
  },
  select: (selectedNodeId) => set({ selectedNodeId }),
  patch: (partial) => set(partial),
}));

const dirtyState = (state: SaveState): SaveState => (state === 'conflict' ? 'conflict' : 'dirty');

export const useDoc = () => useEditorStore((state) => state.history.present);
