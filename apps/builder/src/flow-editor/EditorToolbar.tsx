import { useReactFlow } from '@xyflow/react';
import { Link } from 'react-router-dom';
import { errorMessage } from '../api/client';
import { flowsApi, type FlowIssue, type FlowVersion } from '../api/flows';
import { Menu } from '../components/Menu';
import { StatusBadge } from '../components/StatusBadge';
import { CLIPBOARD_STORAGE_KEY, parseClipboard, type ClipboardPayload } from '../editor/clipboard';
import { canRedo, canUndo } from '../editor/history';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { toast } from '../state/toast-store';
import { useEditorStore } from './editor-store';

/** The editor's top bar: name, status, save state, edit tools, more actions, lifecycle and publish. */
export function EditorToolbar({
  viewing,
  readOnly,
  flush,
  reload,
  copy,
  paste,
  autoLayout,
  onServerIssues,
  onPublish,
}: {
  viewing: FlowVersion | null;
  readOnly: boolean;
  flush: () => Promise<boolean>;
  reload: () => Promise<void>;
  copy: () => ClipboardPayload | null;
  paste: (payload: ClipboardPayload | null) => void;
  autoLayout: () => Promise<void>;
  /** Shows the issues tab; with the server's errors when it answered. */
  onServerIssues: (errors?: FlowIssue[]) => void;
  onPublish: () => void;
}) {
  const { siteId, canEdit } = useCurrentSite();
  const store = useEditorStore;
  const flowId = store((state) => state.flowId) as string;
  const doc = store((state) => state.history.present);
  const history = store((state) => state.history);
  const status = store((state) => state.status);
  const revision = store((state) => state.revision);
  const publishedVersion = store((state) => state.publishedVersion);
  const saveState = store((state) => state.saveState);
  const edit = store((state) => state.edit);
  const flow = useReactFlow();

  const validateOnServer = async () => {
    if (!(await flush())) return;
    try {
      const result = await flowsApi.validate(siteId, flowId);
      onServerIssues(result.errors);
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
      onServerIssues();
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

  const saveLabel = {
    saved: `Saved · rev ${revision}`,
    dirty: 'Unsaved changes…',
    saving: 'Saving…',
    conflict: 'Not saved: conflict',
    error: 'Not saved',
  }[saveState];

  return (
    <header className="editor__bar">
      <Link to={`/sites/${siteId}/flows`} className="btn btn--ghost btn--small" aria-label="Back to flows">
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
                    toast(payload ? `Copied ${payload.nodes.length} step(s)` : 'Select steps to copy first');
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
              if (await flush()) onPublish();
            }}
          >
            Publish…
          </button>
        </>
      )}
    </header>
  );
}
