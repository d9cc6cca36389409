import { renderCta } from '@nudgeflow/embed/render-cta';
import { useEffect, useRef, useState } from 'react';
import type { Cta } from '../api/ctas';

export type PreviewDevice = 'desktop' | 'mobile';

/**
 * The CTA over a sketch of a page, as a visitor on that device sees it, drawn by the embed script's
 * own renderer inside a shadow root (so the builder's styles cannot leak in).
 */
export function CtaPreview({ cta, initialDevice = 'desktop' }: { cta: Cta; initialDevice?: PreviewDevice }) {
  const [device, setDevice] = useState<PreviewDevice>(initialDevice);
  const host = useRef<HTMLDivElement>(null);
  const root = useRef<ShadowRoot | null>(null);
  useEffect(() => {
    if (!host.current) return;
    root.current ??= host.current.attachShadow({ mode: 'open' });
    const rendered = renderCta(root.current, cta, { onClick: () => false }, { preview: true });
    return () => rendered.destroy();
  }, [cta]);
  return (
    <div className="cta-preview">
      <div className="row">
        <strong>Preview</strong>
        <span className="spacer" />
        <div role="radiogroup" aria-label="Preview device" className="segmented">
          {(['desktop', 'mobile'] as const).map((d) => (
            <button
              key={d}
              type="button"
              role="radio"
              aria-checked={device === d}
              onClick={() => setDevice(d)}
            >
              {d === 'desktop' ? 'Desktop' : 'Mobile'}
            </button>
          ))}
        </div>
      </div>
      <div className={`cta-preview__stage cta-preview__stage--${device}`}>
        <div
          className={`cta-preview__page cta-preview__page--${device}`}
          aria-label={`CTA preview on ${device}`}
          role="img"
        >
          <div className="cta-preview__browser" aria-hidden="true">
            <span />
            <span />
            <span />
          </div>
          <div className="cta-preview__site" aria-hidden="true">
            <div className="cta-preview__nav" />
            <div className="cta-preview__hero" />
            <div className="cta-preview__line" />
            <div className="cta-preview__line cta-preview__line--short" />
            <div className="cta-preview__grid">
              <div />
              <div />
              <div />
            </div>
            {cta.kind === 'inline' && <div className="cta-preview__slot">Your page content</div>}
          </div>
          <div ref={host} className="cta-preview__cta" />
        </div>
      </div>
    </div>
  );
}
