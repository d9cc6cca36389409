import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Cta, CtaConfig, CtaDetail } from '../api/ctas';
import { createHistory, record, undo, type History } from '../editor/history';
import { CtaPreview, type PreviewDevice } from './CtaPreview';
import {
  ContentSection,
  DesignSection,
  Field,
  FrequencySection,
  TargetingSection,
  VariantsSection,
} from './CtaSections';
import { ctaProblems, type CtaProblems } from './cta-validation';

export interface CtaDraft {
  name: string;
  config: CtaConfig;
}

const SAMPLE_TRAITS: Record<string, string> = { first_name: 'Ada', name: 'Ada Lovelace' };

/**
 * The CTA editor: grouped sections with inline problems, a preview beside them (desktop or mobile),
 * and undo of the last change. Saving and publishing are the caller's (`onSave` gets the draft).
 */
export function CtaEditor({
  cta,
  canEdit,
  saving = false,
  serverProblems = {},
  onSave,
  actions,
  results,
  initialDevice,
}: {
  cta: Pick<CtaDetail, 'id' | 'name' | 'config'>;
  canEdit: boolean;
  saving?: boolean;
  serverProblems?: CtaProblems;
  onSave: (draft: CtaDraft) => void;
  /** Publish, duplicate, … (enabled by the caller; told whether there are unsaved changes). */
  actions?: (dirty: boolean) => ReactNode;
  results?: ReactNode;
  initialDevice?: PreviewDevice;
}) {
  const saved = useMemo<CtaDraft>(() => ({ name: cta.name, config: cta.config }), [cta.name, cta.config]);
  const [history, setHistory] = useState<History<CtaDraft>>(() => createHistory(saved));
  const [selectedVariant, setVariantIndex] = useState(0);
  const draft = history.present;
  const config = draft.config;
  // An undo may remove the variant being edited.
  const variantIndex = Math.min(selectedVariant, config.variants.length - 1);
  const dirty = JSON.stringify(draft) !== JSON.stringify(saved);
  const problems = { ...ctaProblems(draft.name, config), ...serverProblems };
  const count = Object.keys(problems).length;
  const variant = config.variants[variantIndex];

  const change = (edit: (d: CtaConfig) => void, key: string) =>
    setHistory((h) => {
      const next = JSON.parse(JSON.stringify(h.present)) as CtaDraft;
      edit(next.config);
      return record(h, next, { key });
    });
  const doUndo = () => setHistory((h) => undo(h));

  // Ctrl/Cmd+Z outside text fields undoes the editor's last change (inside them, the field's own undo).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== 'z' || event.shiftKey) return;
      if (target?.closest('input, textarea, select, [contenteditable]')) return;
      event.preventDefault();
      doUndo();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const preview: Cta = useMemo(
    () => ({
      id: cta.id,
      variantId: variant.id,
      kind: config.kind,
      display: config.display,
      content: fillSample(variant.content),
      style: variant.style,
    }),
    [cta.id, variant, config.kind, config.display],
  );
  const section = { config, variantIndex, problems, onChange: change };

  return (
    <div className="cta-editor">
      <form
        className="cta-editor__form stack"
        aria-label="CTA settings"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (count === 0) onSave(draft);
        }}
      >
        <div className="card cta-editor__bar">
          <Field label="CTA name" error={problems.name}>
            {(p) => (
              <input
                {...p}
                className="input"
                value={draft.name}
                maxLength={200}
                disabled={!canEdit}
                onChange={(e) => {
                  const name = e.target.value;
                  setHistory((h) => record(h, { ...h.present, name }, { key: 'name' }));
                }}
              />
            )}
          </Field>
          {canEdit && (
            <div className="row">
              <button
                type="button"
                className="btn"
                onClick={doUndo}
                disabled={history.past.length === 0}
                aria-keyshortcuts="Control+Z Meta+Z"
              >
                Undo
              </button>
              <button type="submit" className="btn btn--primary" disabled={!dirty || saving || count > 0}>
                {saving ? 'Saving…' : 'Save draft'}
              </button>
              {actions?.(dirty)}
              <span className="small muted" role="status">
                {count > 0
                  ? `${count} problem${count === 1 ? '' : 's'} to fix`
                  : dirty
                    ? 'Unsaved changes'
                    : 'Saved'}
              </span>
            </div>
          )}
          {problems.form && (
            <div className="banner banner--error" role="alert">
              {problems.form}
            </div>
          )}
        </div>
        <fieldset disabled={!canEdit} className="cta-editor__sections">
          <VariantsSection {...section} onSelect={setVariantIndex} />
          <ContentSection {...section} />
          <DesignSection {...section} />
          <TargetingSection {...section} />
          <FrequencySection {...section} />
        </fieldset>
      </form>
      <aside className="cta-editor__side stack" aria-label="Preview and results">
        <CtaPreview cta={preview} initialDevice={initialDevice} />
        {results}
      </aside>
    </div>
  );
}

/** Sample values for tokens, as plain text: the renderer sets text with textContent and sanitises the body. */
export function fillSample(content: Cta['content']): Cta['content'] {
  const fill = (s: string, escape: boolean) =>
    s.replace(/\{\{\s*visitor\.traits\.(\w+)\s*\}\}/g, (_, key: string) => {
      const value = SAMPLE_TRAITS[key] ?? '';
      return escape ? value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`) : value;
    });
  return { ...content, headline: fill(content.headline, false), body: fill(content.body, true) };
}
