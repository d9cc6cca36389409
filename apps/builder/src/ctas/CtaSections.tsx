import { useId, type ComponentProps, type ReactNode } from 'react';
import type { CtaConfig, CtaKind, CtaVariantConfig } from '../api/ctas';
import type { CtaProblems } from './cta-validation';
import { onTablistKey } from './tablist-keys';
import { EMBED_KIND, GALLERY_KINDS, galleryKindOf, type GalleryKind } from './cta-templates';

/** An edit of the draft (mutating a copy) and a key: edits of one field in a row become one undo step. */
export type CtaEdit = (edit: (draft: CtaConfig) => void, key: string) => void;

export interface SectionProps {
  config: CtaConfig;
  variantIndex: number;
  problems: CtaProblems;
  onChange: CtaEdit;
}

/** A labelled group of the editor: a card with a heading, named for screen readers by it. */
export function EditorSection({
  title,
  hint,
  children,
}: {
  title: string;
  hint?: string;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <section className="card cta-section" aria-labelledby={id}>
      <h3 id={id} className="cta-section__title">
        {title}
      </h3>
      {hint && <p className="field__help cta-section__hint">{hint}</p>}
      <div className="cta-section__body">{children}</div>
    </section>
  );
}

/** A label above its control, with help and an inline error tied to it (aria-describedby). */
export function Field({
  label,
  help,
  error,
  children,
}: {
  label: string;
  help?: string;
  error?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const described = [help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': described })}
      {help && (
        <span id={`${id}-help`} className="field__help">
          {help}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field__error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** A `Field` whose control is a one-line input (`className` adds to `input`). */
export function FieldInput({
  label,
  help,
  error,
  className,
  ...input
}: { label: string; help?: string; error?: string } & Omit<
  ComponentProps<'input'>,
  'id' | 'aria-invalid' | 'aria-describedby'
>) {
  return (
    <Field label={label} help={help} error={error}>
      {(p) => <input {...p} className={className ? `input ${className}` : 'input'} {...input} />}
    </Field>
  );
}

const variantOf = (config: CtaConfig, i: number): CtaVariantConfig =>
  config.variants[i] ?? config.variants[0];
const num = (value: string) => (value === '' ? 0 : Number(value));

export function ContentSection({ config, variantIndex, problems, onChange }: SectionProps) {
  const v = variantOf(config, variantIndex);
  const at = `variants.${variantIndex}.content`;
  const edit = (fn: (c: CtaVariantConfig['content']) => void, key: string) =>
    onChange((d) => fn(d.variants[variantIndex].content), `${at}.${key}`);
  return (
    <EditorSection
      title="Content"
      hint="Tokens such as {{visitor.traits.first_name}} are filled in for each visitor."
    >
      <FieldInput
        label="Headline"
        error={problems[`${at}.headline`]}
        value={v.content.headline}
        maxLength={300}
        onChange={(e) => edit((c) => void (c.headline = e.target.value), 'headline')}
      />
      <Field label="Body" help="Limited HTML: paragraphs, links, bold, lists.">
        {(p) => (
          <textarea
            {...p}
            className="input"
            rows={3}
            value={v.content.body}
            onChange={(e) => edit((c) => void (c.body = e.target.value), 'body')}
          />
        )}
      </Field>
      <FieldInput
        label="Image URL (optional)"
        error={problems[`${at}.imageUrl`]}
        placeholder="https://…"
        value={v.content.imageUrl ?? ''}
        onChange={(e) => edit((c) => void (c.imageUrl = e.target.value || undefined), 'imageUrl')}
      />
      <fieldset className="cta-subgroup">
        <legend className="field__label">Buttons</legend>
        {v.content.buttons.map((b, j) => (
          <div key={j} className="cta-button-row">
            <FieldInput
              label={`Button ${j + 1} label`}
              error={problems[`${at}.buttons.${j}.label`]}
              value={b.label}
              onChange={(e) => edit((c) => void (c.buttons[j].label = e.target.value), `buttons.${j}.label`)}
            />
            <Field label={`Button ${j + 1} action`}>
              {(p) => (
                <select
                  {...p}
                  className="input"
                  value={b.action}
                  onChange={(e) =>
                    edit((c) => {
                      c.buttons[j].action = e.target.value as typeof b.action;
                      if (c.buttons[j].action !== 'url') delete c.buttons[j].url;
                    }, `buttons.${j}.action`)
                  }
                >
                  <option value="url">Open a link</option>
                  <option value="close">Close</option>
                  <option value="submit">Submit the form</option>
                </select>
              )}
            </Field>
            {b.action === 'url' && (
              <FieldInput
                label={`Button ${j + 1} link`}
                error={problems[`${at}.buttons.${j}.url`]}
                value={b.url ?? ''}
                placeholder="/cart"
                onChange={(e) => edit((c) => void (c.buttons[j].url = e.target.value), `buttons.${j}.url`)}
              />
            )}
            <button
              type="button"
              className="btn btn--small btn--ghost"
              aria-label={`Remove button ${j + 1}`}
              onClick={() => edit((c) => void c.buttons.splice(j, 1), `buttons.remove`)}
            >
              Remove
            </button>
          </div>
        ))}
        {v.content.buttons.length < 4 && (
          <button
            type="button"
            className="btn btn--small"
            onClick={() =>
              edit(
                (c) => void c.buttons.push({ label: 'Learn more', action: 'url', url: '/' }),
                'buttons.add',
              )
            }
          >
            Add a button
          </button>
        )}
      </fieldset>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={!!v.content.form}
          onChange={(e) =>
            edit(
              (c) =>
                void (c.form = e.target.checked
                  ? {
                      fields: [{ name: 'email', label: 'Email', type: 'email', required: true }],
                      submitLabel: 'Submit',
                    }
                  : undefined),
              'form',
            )
          }
        />
        Collect an email (form)
      </label>
      {v.content.form && (
        <FieldInput
          label="Submit button label"
          value={v.content.form?.submitLabel ?? ''}
          onChange={(e) =>
            edit((c) => void (c.form && (c.form.submitLabel = e.target.value)), 'form.submitLabel')
          }
        />
      )}
    </EditorSection>
  );
}

const POSITIONS: Record<CtaKind, { value: CtaVariantConfig['style']['position']; label: string }[]> = {
  modal: [{ value: 'center', label: 'Centre' }],
  bar: [
    { value: 'top', label: 'Top' },
    { value: 'bottom', label: 'Bottom' },
  ],
  slide_in: [
    { value: 'bottom_right', label: 'Bottom right' },
    { value: 'bottom_left', label: 'Bottom left' },
  ],
  inline: [{ value: 'center', label: 'In the page' }],
};

export function DesignSection({ config, variantIndex, problems, onChange }: SectionProps) {
  const v = variantOf(config, variantIndex);
  const kind = galleryKindOf(config);
  const at = `variants.${variantIndex}.style`;
  return (
    <EditorSection title="Design">
      <div className="form-grid">
        <Field label="Type">
          {(p) => (
            <select
              {...p}
              className="input"
              value={kind}
              onChange={(e) => {
                const next = e.target.value as GalleryKind;
                onChange((d) => {
                  d.kind = EMBED_KIND[next];
                  for (const variant of d.variants) {
                    variant.style.position = POSITIONS[d.kind][0].value;
                    if (next === 'welcome_mat') variant.style.width = 2000;
                    else delete variant.style.width;
                  }
                  if (d.kind === 'inline') d.selector ??= '#newsletter';
                }, 'kind');
              }}
            >
              {GALLERY_KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {POSITIONS[config.kind].length > 1 && (
          <Field label="Position">
            {(p) => (
              <select
                {...p}
                className="input"
                value={v.style.position}
                onChange={(e) =>
                  onChange(
                    (d) =>
                      void (d.variants[variantIndex].style.position = e.target
                        .value as CtaVariantConfig['style']['position']),
                    `${at}.position`,
                  )
                }
              >
                {POSITIONS[config.kind].map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {config.kind === 'inline' && (
          <FieldInput
            label="Insert into (CSS selector)"
            error={problems.selector}
            help="The element the form goes inside."
            className="mono"
            value={config.selector ?? ''}
            onChange={(e) => onChange((d) => void (d.selector = e.target.value), 'selector')}
          />
        )}
      </div>
      <div className="cta-colours">
        {(
          [
            ['background', 'Background'],
            ['color', 'Text'],
            ['accent', 'Buttons'],
          ] as const
        ).map(([key, label]) => (
          <Field key={key} label={`${label} colour`} error={problems[`${at}.${key}`]}>
            {(p) => (
              <input
                {...p}
                type="color"
                className="cta-colour"
                value={/^#[0-9a-f]{6}$/i.test(v.style[key]) ? v.style[key] : '#000000'}
                onChange={(e) =>
                  onChange((d) => void (d.variants[variantIndex].style[key] = e.target.value), `${at}.${key}`)
                }
              />
            )}
          </Field>
        ))}
      </div>
    </EditorSection>
  );
}

const TRIGGERS: { value: CtaConfig['display']['trigger']; label: string }[] = [
  { value: 'load', label: 'As the page loads' },
  { value: 'delay', label: 'After a delay' },
  { value: 'scroll', label: 'After scrolling' },
  { value: 'exit_intent', label: 'When the visitor is about to leave' },
  { value: 'click', label: 'When an element is clicked' },
];

export function TargetingSection({ config, problems, onChange }: SectionProps) {
  const paths = config.targeting.urlRules.map((r) => r.value).join('\n');
  return (
    <EditorSection title="Targeting" hint="Who sees it, where, and when it opens.">
      <div className="form-grid">
        <Field label="Shown">
          {(p) => (
            <select
              {...p}
              className="input"
              value={config.mode}
              onChange={(e) => onChange((d) => void (d.mode = e.target.value as CtaConfig['mode']), 'mode')}
            >
              <option value="always">To every visitor the targeting matches</option>
              <option value="flow">Only when a flow shows it</option>
            </select>
          )}
        </Field>
        <Field label="Opens">
          {(p) => (
            <select
              {...p}
              className="input"
              value={config.display.trigger}
              onChange={(e) =>
                onChange(
                  (d) => void (d.display = { trigger: e.target.value as CtaConfig['display']['trigger'] }),
                  'display.trigger',
                )
              }
            >
              {TRIGGERS.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {config.display.trigger === 'delay' && (
          <FieldInput
            label="Delay (seconds)"
            type="number"
            min={0}
            value={config.display.seconds ?? 5}
            onChange={(e) =>
              onChange((d) => void (d.display.seconds = num(e.target.value)), 'display.seconds')
            }
          />
        )}
        {config.display.trigger === 'scroll' && (
          <FieldInput
            label="Scrolled (%)"
            type="number"
            min={0}
            max={100}
            value={config.display.percent ?? 50}
            onChange={(e) =>
              onChange((d) => void (d.display.percent = num(e.target.value)), 'display.percent')
            }
          />
        )}
        {config.display.trigger === 'click' && (
          <FieldInput
            label="Clicked element (CSS selector)"
            error={problems['display.selector']}
            className="mono"
            value={config.display.selector ?? ''}
            onChange={(e) => onChange((d) => void (d.display.selector = e.target.value), 'display.selector')}
          />
        )}
        <Field label="Visitors">
          {(p) => (
            <select
              {...p}
              className="input"
              value={config.targeting.visitorType}
              onChange={(e) =>
                onChange(
                  (d) =>
                    void (d.targeting.visitorType = e.target.value as CtaConfig['targeting']['visitorType']),
                  'targeting.visitorType',
                )
              }
            >
              <option value="any">New and returning</option>
              <option value="new">New only</option>
              <option value="returning">Returning only</option>
            </select>
          )}
        </Field>
        <FieldInput
          label="Priority"
          help="0–100; the highest wins when several match."
          error={problems.priority}
          type="number"
          min={0}
          max={100}
          value={config.priority}
          onChange={(e) => onChange((d) => void (d.priority = num(e.target.value)), 'priority')}
        />
      </div>
      <Field label="Pages" help="Path patterns, one per line; * is a wildcard; empty means every page.">
        {(p) => (
          <textarea
            {...p}
            className="input mono"
            rows={2}
            value={paths}
            placeholder="/products/*"
            onChange={(e) =>
              onChange((d) => {
                d.targeting.urlRules = e.target.value
                  .split('\n')
                  .map((value) => value.trim())
                  .filter(Boolean)
                  .map((value) => ({ target: 'path', operator: 'wildcard', value }));
              }, 'targeting.urlRules')
            }
          />
        )}
      </Field>
      <fieldset className="cta-subgroup">
        <legend className="field__label">Devices (none ticked means all)</legend>
        <div className="row">
          {(['desktop', 'tablet', 'mobile'] as const).map((device) => (
            <label key={device} className="checkbox">
              <input
                type="checkbox"
                checked={config.targeting.devices.includes(device)}
                onChange={(e) =>
                  onChange((d) => {
                    d.targeting.devices = e.target.checked
                      ? [...d.targeting.devices, device]
                      : d.targeting.devices.filter((x) => x !== device);
                  }, 'targeting.devices')
                }
              />
              {device[0].toUpperCase() + device.slice(1)}
            </label>
          ))}
        </div>
      </fieldset>
    </EditorSection>
  );
}

export function FrequencySection({ config, problems, onChange }: SectionProps) {
  const optional = (value: string) => (value === '' ? undefined : Number(value));
  return (
    <EditorSection title="Frequency" hint="How often one visitor may see it.">
      <div className="form-grid">
        <FieldInput
          label="After a close, hide for (days)"
          error={problems['caps.hideAfterCloseDays']}
          type="number"
          min={0}
          max={90}
          value={config.caps.hideAfterCloseDays}
          onChange={(e) =>
            onChange((d) => void (d.caps.hideAfterCloseDays = num(e.target.value)), 'caps.hideAfterCloseDays')
          }
        />
        <FieldInput
          label="At most per session"
          help="Empty: no limit."
          type="number"
          min={0}
          value={config.caps.maxPerSession ?? ''}
          onChange={(e) =>
            onChange((d) => void (d.caps.maxPerSession = optional(e.target.value)), 'caps.maxPerSession')
          }
        />
        <FieldInput
          label="At most per day"
          help="Empty: no limit."
          type="number"
          min={0}
          value={config.caps.maxPerDay ?? ''}
          onChange={(e) =>
            onChange((d) => void (d.caps.maxPerDay = optional(e.target.value)), 'caps.maxPerDay')
          }
        />
      </div>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={config.caps.stopAfterConversion}
          onChange={(e) =>
            onChange((d) => void (d.caps.stopAfterConversion = e.target.checked), 'caps.stopAfterConversion')
          }
        />
        Never again after a conversion
      </label>
    </EditorSection>
  );
}

export function VariantsSection({
  config,
  variantIndex,
  problems,
  onChange,
  onSelect,
}: SectionProps & { onSelect: (index: number) => void }) {
  const total = config.variants.reduce((sum, v) => sum + Math.max(0, v.weight), 0);
  const v = variantOf(config, variantIndex);
  return (
    <EditorSection
      title="A/B variants"
      hint="Each visitor keeps one variant. Content and design above edit the variant chosen here."
    >
      <div
        role="tablist"
        aria-label="Variants"
        className="tabs cta-variant-tabs"
        onKeyDown={(event) => onTablistKey(event, config.variants.length, variantIndex, onSelect)}
      >
        {config.variants.map((variant, i) => (
          <button
            key={variant.id}
            type="button"
            role="tab"
            aria-selected={i === variantIndex}
            tabIndex={i === variantIndex ? 0 : -1}
            onClick={() => onSelect(i)}
          >
            {variant.name || variant.id}{' '}
            <span className="muted small">
              {total > 0 ? Math.round((Math.max(0, variant.weight) / total) * 100) : 0}%
            </span>
          </button>
        ))}
      </div>
      <div className="form-grid">
        <FieldInput
          label="Variant name"
          value={v.name}
          maxLength={80}
          onChange={(e) =>
            onChange(
              (d) => void (d.variants[variantIndex].name = e.target.value),
              `variants.${variantIndex}.name`,
            )
          }
        />
        <FieldInput
          label="Weight"
          help="Share of visitors, relative to the other variants."
          error={problems.variants}
          type="number"
          min={0}
          max={1000}
          value={v.weight}
          onChange={(e) =>
            onChange(
              (d) => void (d.variants[variantIndex].weight = num(e.target.value)),
              `variants.${variantIndex}.weight`,
            )
          }
        />
      </div>
      <div className="row">
        <button
          type="button"
          className="btn btn--small"
          disabled={config.variants.length >= 6}
          onClick={() => {
            onChange((d) => {
              const copy = JSON.parse(JSON.stringify(d.variants[variantIndex])) as CtaVariantConfig;
              const used = new Set(d.variants.map((x) => x.id));
              let n = d.variants.length;
              while (used.has(String.fromCharCode(97 + (n % 26)) + (n >= 26 ? n : ''))) n++;
              copy.id = String.fromCharCode(97 + (n % 26)) + (n >= 26 ? n : '');
              copy.name = `Variant ${copy.id.toUpperCase()}`;
              d.variants.push(copy);
            }, 'variants.add');
            onSelect(config.variants.length);
          }}
        >
          Add a variant (copy of this one)
        </button>
        {config.variants.length > 1 && (
          <button
            type="button"
            className="btn btn--small btn--danger"
            onClick={() => {
              onChange((d) => void d.variants.splice(variantIndex, 1), 'variants.remove');
              onSelect(0);
            }}
          >
            Remove this variant
          </button>
        )}
      </div>
    </EditorSection>
  );
}
