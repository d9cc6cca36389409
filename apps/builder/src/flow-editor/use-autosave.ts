import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';
import { errorMessage } from '../api/client';
import { flowsApi } from '../api/flows';
import { toast } from '../state/toast-store';
import { useEditorStore, type DraftDoc } from './editor-store';

const AUTOSAVE_DELAY_MS = 800;

/**
 * Saves the draft a moment after each edit (optimistic concurrency: a stale revision becomes a
 * conflict), warns before leaving with unsaved changes, and gives `flush` to save before publishing.
 */
export function useAutosave(siteId: string, flowId: string, canEdit: boolean) {
  const queryClient = useQueryClient();
  const store = useEditorStore;
  const doc = store((state) => state.history.present);
  const saveState = store((state) => state.saveState);

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

  return { save, flush };
}
