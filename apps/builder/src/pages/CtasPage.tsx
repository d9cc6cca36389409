import { renderCta } from '@nudgeflow/embed/render-cta';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { ctasApi, newCtaConfig, type Cta, type CtaConfig, type CtaDetail, type CtaKind } from '../api/ctas';
import { EmptyState, ErrorBanner, Loading } from '../components/EmptyState';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { toast } from '../state/toast-store';

const KINDS: { value: CtaKind; label: string }[] = [
  { value: 'modal', label: 'Popup' },
  { value: 'bar', label: 'Sticky bar' },
  { value: 'slide_in', label: 'Slide-in' },
  { value: 'inline', label: 'Inline' },
];
const TRIGGERS = ['load', 'delay', 'scroll', 'exit_intent', 'click'] as const;
const SAMPLE_TRAITS = { first_name: 'Ada', name: 'Ada Lovelace' };

/** CTAs of a site: a list, and an editor with a live preview rendered by the embed's own renderer. */
export function CtasPage() {
  const { siteId, site, canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: ['ctas', siteId],
    queryFn: () => ctasApi.list(siteId),
    enabled: !!siteId,
  });
  const [selected, setSelected] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => ctasApi.create(siteId, { name: 'New CTA', config: newCtaConfig() }),
    onSuccess: (cta) => {
      void queryClient.invalidateQueries({ queryKey: ['ctas', siteId] });
      setSelected(cta.id);
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  if (!site) return null;
  const current = list.data?.find((c) => c.id === selected) ?? list.data?.[0];
  return (
    <div className="page">
      <div className="page__header">
        <h1>CTAs</h1>
        <span className="muted">{site.name}</span>
        {canEdit && (
          <button type="button" className="btn btn--primary" onClick={() => create.mutate()}>
            New CTA
          </button>
        )}
      </div>
      {list.isLoading && <Loading />}
      {list.error && <ErrorBanner error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && list.data.length === 0 && (
        <EmptyState title="No CTAs yet">Create a popup, bar, slide-in or inline form.</EmptyState>
      )}
      {list.data && current && (
        <div style={{ display: 'grid', gridTemplateColumns: '220px 1fr', gap: 16 }}>
          <ul aria-label="CTAs" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {list.data.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  className="btn"
                  aria-current={c.id === current.id}
                  style={{ width: '100%', textAlign: 'left', marginBottom: 4 }}
                  onClick={() => setSelected(c.id)}
                >
                  {c.name} <span className="muted">· {c.status}</span>
                </button>
              </li>
            ))}
          </ul>
          <CtaEditor
            key={`${current.id}:${current.revision}`}
            siteId={siteId}
            cta={current}
            canEdit={canEdit}
          />
        </div>
      )}
    </div>
  );
}

function CtaEditor({ siteId, cta, canEdit }: { siteId: string; cta: CtaDetail; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(cta.name);
  const [config, setConfig] = useState<CtaConfig>(cta.config);
  const [variantIndex, setVariantIndex] = useState(0);
  const [dirty, setDirty] = useState(false);
  const variant = config.variants[variantIndex] ?? config.variants[0];
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['ctas', siteId] });
  const stats = useQuery({
    queryKey: ['cta-stats', siteId, cta.id],
    queryFn: () => ctasApi.stats(siteId, cta.id),
  });

  const update = (fn: (draft: CtaConfig) => CtaConfig) => {
    setConfig((prev) => fn(structuredClone(prev)));
    setDirty(true);
  };
  const updateVariant = (fn: (v: CtaConfig['variants'][number]) => void) =>
    update((draft) => {
      fn(draft.variants[variantIndex]);
      return draft;
    });

  const save = useMutation({
    mutationFn: () => ctasApi.save(siteId, cta.id, { revision: cta.revision, name, config }),
    onSuccess: (result) => {
      if (!result.ok) toast('Someone else saved this CTA; reload to see their changes.', 'error');
      else {
        setDirty(false);
        toast('Saved');
      }
      refresh();
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  const action = (fn: () => Promise<unknown>, done: string) => async () => {
    try {
      await fn();
      toast(done);
      refresh();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
  };

  const paths = config.targeting.urlRules.map((r) => r.value).join('\n');
  return (
    <div style={{ display: 'grid', gridTemplateColumns: 'minmax(320px, 1fr) minmax(320px, 1fr)', gap: 16 }}>
      <form
        className="card"
        aria-label="CTA settings"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0, display: 'grid', gap: 8 }}>
          <label>
            Name
            <input value={name} onChange={(e) => (setName(e.target.value), setDirty(true))} maxLength={200} />
          </label>
          <label>
            Kind
            <select
              value={config.kind}
              onChange={(e) => update((d) => ({ ...d, kind: e.target.value as CtaKind }))}
            >
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </label>
          {config.kind === 'inline' && (
            <label>
              Insert into (CSS selector)
              <input
                value={config.selector ?? ''}
                onChange={(e) => update((d) => ({ ...d, selector: e.target.value }))}
              />
            </label>
          )}
          <label>
            Shown
            <select
              value={config.mode}
              onChange={(e) => update((d) => ({ ...d, mode: e.target.value as CtaConfig['mode'] }))}
            >
              <option value="always">To every visitor the targeting matches</option>
              <option value="flow">Only when a flow shows it</option>
            </select>
          </label>
          <label>
            Priority (0–100)
            <input
              type="number"
              min={0}
              max={100}
              value={config.priority}
              onChange={(e) => update((d) => ({ ...d, priority: Number(e.target.value) }))}
            />
          </label>
          <label>
            Display
            <select
              value={config.display.trigger}
              onChange={(e) =>
                update((d) => ({
                  ...d,
                  display: { ...d.display, trigger: e.target.value as Cta['display']['trigger'] },
                }))
              }
            >
              {TRIGGERS.map((t) => (
                <option key={t} value={t}>
                  {t.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          {config.display.trigger === 'delay' && (
            <label>
              After seconds
              <input
                type="number"
                min={0}
                value={config.display.seconds ?? 5}
                onChange={(e) =>
                  update((d) => ({ ...d, display: { ...d.display, seconds: Number(e.target.value) } }))
                }
              />
            </label>
          )}
          {config.display.trigger === 'scroll' && (
            <label>
              At scroll %
              <input
                type="number"
                min={0}
                max={100}
                value={config.display.percent ?? 50}
                onChange={(e) =>
                  update((d) => ({ ...d, display: { ...d.display, percent: Number(e.target.value) } }))
                }
              />
            </label>
          )}
          {config.display.trigger === 'click' && (
            <label>
              On click of (CSS selector)
              <input
                value={config.display.selector ?? ''}
                onChange={(e) =>
                  update((d) => ({ ...d, display: { ...d.display, selector: e.target.value } }))
                }
              />
            </label>
          )}

          <h3>Variants</h3>
          <div role="tablist" aria-label="Variants">
            {config.variants.map((v, i) => (
              <button
                key={v.id}
                type="button"
                role="tab"
                aria-selected={i === variantIndex}
                onClick={() => setVariantIndex(i)}
              >
                {v.name || v.id} ({v.weight})
              </button>
            ))}
            <button
              type="button"
              onClick={() =>
                update((d) => {
                  const copy = structuredClone(d.variants[variantIndex]);
                  copy.id = `v${Date.now().toString(36)}`;
                  copy.name = `Variant ${d.variants.length + 1}`;
                  d.variants.push(copy);
                  return d;
                })
              }
              disabled={config.variants.length >= 6}
            >
              + A/B variant
            </button>
          </div>
          <label>
            Weight
            <input
              type="number"
              min={0}
              value={variant.weight}
              onChange={(e) => updateVariant((v) => void (v.weight = Number(e.target.value)))}
            />
          </label>
          <label>
            Headline (tokens like {'{{visitor.traits.first_name}}'} are filled in)
            <input
              value={variant.content.headline}
              maxLength={300}
              onChange={(e) => updateVariant((v) => void (v.content.headline = e.target.value))}
            />
          </label>
          <label>
            Body (limited HTML)
            <textarea
              rows={4}
              value={variant.content.body}
              onChange={(e) => updateVariant((v) => void (v.content.body = e.target.value))}
            />
          </label>
          <label>
            Image URL
            <input
              value={variant.content.imageUrl ?? ''}
              onChange={(e) => updateVariant((v) => void (v.content.imageUrl = e.target.value || undefined))}
            />
          </label>
          <label>
            <input
              type="checkbox"
              checked={!!variant.content.form}
              onChange={(e) =>
                updateVariant(
                  (v) =>
                    void (v.content.form = e.target.checked
                      ? {
                          fields: [{ name: 'email', label: 'Email', type: 'email', required: true }],
                          submitLabel: 'Submit',
                        }
                      : undefined),
                )
              }
            />{' '}
            Email form
          </label>
          <div style={{ display: 'flex', gap: 8 }}>
            {(['background', 'color', 'accent'] as const).map((k) => (
              <label key={k}>
                {k}
                <input
                  type="color"
                  value={variant.style[k]}
                  onChange={(e) => updateVariant((v) => void (v.style[k] = e.target.value))}
                />
              </label>
            ))}
          </div>

          <h3>Targeting</h3>
          <label>
            Pages (path patterns, one per line; * is a wildcard; empty = every page)
            <textarea
              rows={2}
              value={paths}
              onChange={(e) =>
                update((d) => {
                  d.targeting.urlRules = e.target.value
                    .split('\n')
                    .map((value) => value.trim())
                    .filter(Boolean)
                    .map((value) => ({ target: 'path', operator: 'wildcard', value }));
                  return d;
                })
              }
            />
          </label>
          <label>
            Visitors
            <select
              value={config.targeting.visitorType}
              onChange={(e) =>
                update(
                  (d) => (
                    (d.targeting.visitorType = e.target.value as CtaConfig['targeting']['visitorType']),
                    d
                  ),
                )
              }
            >
              <option value="any">New and returning</option>
              <option value="new">New only</option>
              <option value="returning">Returning only</option>
            </select>
          </label>
          <div>
            {(['desktop', 'mobile', 'tablet'] as const).map((device) => (
              <label key={device} style={{ marginRight: 8 }}>
                <input
                  type="checkbox"
                  checked={config.targeting.devices.includes(device)}
                  onChange={(e) =>
                    update((d) => {
                      d.targeting.devices = e.target.checked
                        ? [...d.targeting.devices, device]
                        : d.targeting.devices.filter((x) => x !== device);
                      return d;
                    })
                  }
                />{' '}
                {device}
              </label>
            ))}
          </div>

          <h3>Frequency</h3>
          <label>
            After a close, hide for days
            <input
              type="number"
              min={0}
              max={90}
              value={config.caps.hideAfterCloseDays}
              onChange={(e) => update((d) => ((d.caps.hideAfterCloseDays = Number(e.target.value)), d))}
            />
          </label>
          <label>
            At most per day (empty = no limit)
            <input
              type="number"
              min={0}
              value={config.caps.maxPerDay ?? ''}
              onChange={(e) =>
                update(
                  (d) => ((d.caps.maxPerDay = e.target.value === '' ? undefined : Number(e.target.value)), d),
                )
              }
            />
          </label>
          <label>
            <input
              type="checkbox"
              checked={config.caps.stopAfterConversion}
              onChange={(e) => update((d) => ((d.caps.stopAfterConversion = e.target.checked), d))}
            />{' '}
            Never again after a conversion
          </label>
        </fieldset>
        {canEdit && (
          <div style={{ display: 'flex', gap: 8, marginTop: 12, flexWrap: 'wrap' }}>
            <button type="submit" className="btn btn--primary" disabled={!dirty || save.isPending}>
              Save draft
            </button>
            <button
              type="button"
              className="btn"
              disabled={dirty}
              onClick={action(() => ctasApi.publish(siteId, cta.id), 'Published')}
            >
              Publish
            </button>
            {cta.status === 'published' && (
              <button
                type="button"
                className="btn"
                onClick={action(() => ctasApi.unpublish(siteId, cta.id), 'Unpublished')}
              >
                Unpublish
              </button>
            )}
            <button
              type="button"
              className="btn"
              onClick={action(() => ctasApi.duplicate(siteId, cta.id), 'Duplicated')}
            >
              Duplicate
            </button>
            <button
              type="button"
              className="btn"
              onClick={action(() => ctasApi.archive(siteId, cta.id), 'Archived')}
            >
              Archive
            </button>
          </div>
        )}
      </form>
      <div>
        <h3>Preview</h3>
        <CtaPreview
          cta={{
            id: cta.id,
            variantId: variant.id,
            kind: config.kind,
            display: config.display,
            content: fillSample(variant.content),
            style: variant.style,
          }}
        />
        <h3>Results (30 days)</h3>
        {stats.data ? (
          <table className="table">
            <thead>
              <tr>
                <th>Variant</th>
                <th>Views</th>
                <th>Clicks</th>
                <th>Conversions</th>
                <th>Rate</th>
              </tr>
            </thead>
            <tbody>
              {stats.data.variants.map((v) => (
                <tr key={v.variantId}>
                  <td>{v.name || v.variantId}</td>
                  <td>{v.impressions}</td>
                  <td>{v.clicks}</td>
                  <td>{v.conversions}</td>
                  <td>{(v.conversionRate * 100).toFixed(1)} %</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Loading />
        )}
      </div>
    </div>
  );
}

/** Sample values for tokens, as plain text: the renderer sets text with textContent and sanitises the body. */
function fillSample(content: Cta['content']): Cta['content'] {
  const fill = (s: string, escape: boolean) =>
    s.replace(/\{\{\s*visitor\.traits\.(\w+)\s*\}\}/g, (_, key: string) => {
      const value = (SAMPLE_TRAITS as Record<string, string>)[key] ?? '';
      return escape ? value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`) : value;
    });
  return { ...content, headline: fill(content.headline, false), body: fill(content.body, true) };
}

/** The embed's renderer inside a shadow root, positioned within the preview frame. */
function CtaPreview({ cta }: { cta: Cta }) {
  const host = useRef<HTMLDivElement>(null);
  const root = useRef<ShadowRoot | null>(null);
  useEffect(() => {
    if (!host.current) return;
    root.current ??= host.current.attachShadow({ mode: 'open' });
    const rendered = renderCta(root.current, cta, { onClick: () => false }, { preview: true });
    return () => rendered.destroy();
  }, [cta]);
  return (
    <div
      aria-label="CTA preview"
      style={{
        position: 'relative',
        minHeight: 360,
        border: '1px solid #ddd',
        borderRadius: 8,
        overflow: 'hidden',
      }}
    >
      <div ref={host} />
    </div>
  );
}
