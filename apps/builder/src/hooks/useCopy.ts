import { useCallback } from 'react';
import { toast } from '../state/toast-store';

/** Copies text to the clipboard and says so; falls back to a hidden textarea where the API is missing. */
export function useCopy() {
  return useCallback(async (text: string, what = 'Text') => {
    try {
      if (navigator.clipboard?.writeText) await navigator.clipboard.writeText(text);
      else {
        const area = document.createElement('textarea');
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand('copy');
        area.remove();
      }
      toast(`${what} copied to the clipboard`);
    } catch {
      toast('Copy failed: select the text and copy it by hand', 'error');
    }
  }, []);
}
