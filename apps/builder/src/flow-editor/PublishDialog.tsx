import { useState } from 'react';
import { errorMessage } from '../api/client';
import { flowsApi, type FlowIssue } from '../api/flows';
import { Modal } from '../components/Modal';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { useEditorStore } from './editor-store';

interface Props {
  open: boolean;
  onClose: () => void;
  onPublished: (version: number) => Promise<void>;
  onInvalid: (errors: FlowIssue[]) => void;
}

export function PublishDialog({ open, onClose, onPublished, onInvalid }: Props) {
  const { siteId } = useCurrentSite();
  const flowId = useEditorStore((state) => state.flowId) as string;
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal open={open} title="Publish this flow" onClose={onClose}>
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const result = await flowsApi.publish(siteId, flowId, note.trim());
            if (result.ok) {
              setNote('');
              await onPublished(result.version);
            } else onInvalid(result.errors);
          } catch (caught) {
            setError(errorMessage(caught));
          } finally {
            setBusy(false);
          }
        }}
      >
        <p className="muted">
          Publishing makes the current draft the live version. Visitors already in the flow finish on the
          version they started.
        </p>
        <label className="field">
          <span>Note (optional)</span>
          <textarea
            className="input"
            style={{ fontFamily: 'inherit' }}
            value={note}
            maxLength={500}
            placeholder="What changed, e.g. “Shorter wait before the reminder”"
            onChange={(event) => setNote(event.target.value)}
          />
        </label>
        {error && (
          <div className="banner banner--error" role="alert">
            {error}
          </div>
        )}
        <div className="modal__actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn--primary" disabled={busy}>
            {busy ? 'Publishing…' : 'Publish'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
