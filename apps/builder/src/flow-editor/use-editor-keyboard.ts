import { useEffect, type Dispatch, type RefObject, type SetStateAction } from 'react';
import {
  CLIPBOARD_STORAGE_KEY,
  parseClipboard,
  serializeClipboard,
  type ClipboardPayload,
} from '../editor/clipboard';
import { toast } from '../state/toast-store';
import { useEditorStore } from './editor-store';
import type { FlowDiagramNode } from './FlowNodeCard';
import { isTypingTarget } from './keyboard';

/** Undo/redo and select-all on the keyboard; copy, cut and paste through the clipboard events. */
export function useEditorKeyboard({
  readOnly,
  selectedIds,
  setNodes,
  copy,
  paste,
  confirmDelete,
  removeSelection,
}: {
  readOnly: boolean;
  selectedIds: RefObject<string[]>;
  setNodes: Dispatch<SetStateAction<FlowDiagramNode[]>>;
  copy: () => ClipboardPayload | null;
  paste: (payload: ClipboardPayload | null) => void;
  confirmDelete: (nodeIds: string[]) => boolean;
  removeSelection: (nodeIds: string[], edgeIds: string[]) => void;
}) {
  const store = useEditorStore;
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
  }, [readOnly, store, copy, paste, confirmDelete, removeSelection, selectedIds, setNodes]);
}
