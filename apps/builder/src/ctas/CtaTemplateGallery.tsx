import { useState } from 'react';
import { onTablistKey } from './tablist-keys';
import { GALLERY_KINDS, templatesOfKind, type CtaTemplate, type GalleryKind } from './cta-templates';

/** Templates by kind: a tab per kind, a card per template with a sketch of where it sits. */
export function CtaTemplateGallery({
  onPick,
  busy = false,
}: {
  onPick: (template: CtaTemplate) => void;
  busy?: boolean;
}) {
  const [kind, setKind] = useState<GalleryKind>('popup');
  const current = GALLERY_KINDS.find((k) => k.kind === kind) ?? GALLERY_KINDS[0];
  return (
    <div className="stack">
      <div
        role="tablist"
        aria-label="CTA kinds"
        className="tabs"
        onKeyDown={(event) =>
          onTablistKey(
            event,
            GALLERY_KINDS.length,
            GALLERY_KINDS.findIndex((k) => k.kind === kind),
            (i) => setKind(GALLERY_KINDS[i].kind),
          )
        }
      >
        {GALLERY_KINDS.map((k) => (
          <button
            key={k.kind}
            type="button"
            role="tab"
            id={`cta-kind-${k.kind}`}
            aria-selected={k.kind === kind}
            tabIndex={k.kind === kind ? 0 : -1}
            aria-controls="cta-gallery-panel"
            onClick={() => setKind(k.kind)}
          >
            {k.label}
          </button>
        ))}
      </div>
      <div id="cta-gallery-panel" role="tabpanel" aria-labelledby={`cta-kind-${kind}`} className="stack">
        <p className="muted" style={{ margin: 0 }}>
          {current.description}
        </p>
        <ul className="template-grid cta-gallery" aria-label={`${current.label} templates`}>
          {templatesOfKind(kind).map((template) => (
            <li key={template.id} className="template-card cta-gallery__card">
              <div className={`cta-thumb cta-thumb--${template.kind}`} aria-hidden="true">
                <span
                  className="cta-thumb__cta"
                  style={{
                    background: template.config.variants[0].style.background,
                    borderColor: template.config.variants[0].style.accent,
                  }}
                />
              </div>
              <strong>{template.name}</strong>
              <span className="muted small">{template.blurb}</span>
              <button
                type="button"
                className="btn btn--small btn--primary"
                disabled={busy}
                aria-label={`Use template ${template.name}`}
                onClick={() => onPick(template)}
              >
                Use this template
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
