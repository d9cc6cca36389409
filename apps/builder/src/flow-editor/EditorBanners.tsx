import type { FlowVersion } from '../api/flows';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { useEditorStore } from './editor-store';

/** What the marketer must know above the canvas: a save conflict or failure, read-only access, an old version. */
export function EditorBanners({
  viewing,
  onBackToDraft,
  save,
  reload,
}: {
  viewing: FlowVersion | null;
  onBackToDraft: () => void;
  save: (overwriteRevision?: number) => Promise<boolean>;
  reload: () => Promise<void>;
}) {
  const { canEdit } = useCurrentSite();
  const saveState = useEditorStore((state) => state.saveState);
  const saveError = useEditorStore((state) => state.saveError);
  const conflictRevision = useEditorStore((state) => state.conflictRevision);
  return (
    <>
      {saveState === 'conflict' && (
        <div className="banner banner--warning editor__banner" role="alert">
          <strong>Edited elsewhere.</strong>
          <span>
            Someone saved this flow (revision {conflictRevision}) after you opened it. Your latest changes are
            not saved.
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
          <button type="button" className="btn btn--small" onClick={onBackToDraft}>
            Back to the draft
          </button>
        </div>
      )}
    </>
  );
}
