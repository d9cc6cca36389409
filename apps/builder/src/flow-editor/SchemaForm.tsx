import { useFormContext, type FieldErrors, type FieldValues } from 'react-hook-form';
import {
  defaultValueFor,
  describe,
  humanize,
  type FieldSpec,
  unwrap,
  type ZodLike,
} from '../editor/schema-fields';
import { Link } from 'react-router-dom';
import { pickerOptions } from '../editor/ref-fields';
import { useRefPicker } from './ref-options';
import { createContext, useContext, useRef, type ReactNode } from 'react';
import { insertToken, offersVariables, VARIABLE_SUGGESTIONS } from '../editor/template-suggestions';

/** The node kind whose form is open: template fields of that kind get the variable list. */
export const NodeTypeContext = createContext<string | undefined>(undefined);

interface FieldProps {
  /** react-hook-form path, e.g. `group.rules.0.value`. */
  name: string;
  label: string;
  schema: ZodLike;
  help: Record<string, string>;
  disabled: boolean;
  depth: number;
}

/** Renders the fields of a zod object schema; nested objects, lists and variants recurse. */
export function SchemaFields({
  schema,
  help,
  disabled,
  prefix = '',
}: {
  schema: ZodLike;
  help: Record<string, string>;
  disabled: boolean;
  prefix?: string;
}) {
  const spec = describe(schema);
  if (spec.kind === 'object') {
    if (spec.fields.length === 0) return <p className="muted small">This step has nothing to configure.</p>;
    return <ObjectFields spec={spec} name={prefix} help={help} disabled={disabled} depth={0} />;
  }
  return <Field name={prefix} label="Settings" schema={schema} help={help} disabled={disabled} depth={0} />;
}

function ObjectFields({
  spec,
  name,
  help,
  disabled,
  depth,
  skip,
}: {
  spec: Extract<FieldSpec, { kind: 'object' }>;
  name: string;
  help: Record<string, string>;
  disabled: boolean;
  depth: number;
  skip?: string;
}) {
  return (
    <div className="sform__group">
      {spec.fields
        .filter((field) => field.key !== skip)
        .map((field) => (
          <Field
            key={field.key}
            name={name ? `${name}.${field.key}` : field.key}
            label={humanize(field.key)}
            schema={field.schema}
            help={help}
            disabled={disabled}
            depth={depth + 1}
          />
        ))}
    </div>
  );
}

function Field({ name, label, schema, help, disabled, depth }: FieldProps) {
  const { register, watch, setValue, formState } = useFormContext();
  const spec = describe(schema);
  const id = `f-${name.replace(/\./g, '-')}`;
  const error = errorAt(formState.errors, name);
  const helpText = help[name.replace(/\.\d+/g, '')];
  const optionalMark =
    'optional' in spec && spec.optional ? <span className="muted"> (optional)</span> : null;
  const messages = (
    <>
      {helpText && (
        <span className="field__help" id={`${id}-help`}>
          {helpText}
        </span>
      )}
      {error && (
        <span className="field__error" role="alert">
          {error}
        </span>
      )}
    </>
  );
  const describedBy = helpText ? `${id}-help` : undefined;
  const control = {
    id,
    className: 'input',
    disabled,
    'aria-invalid': Boolean(error),
    'aria-describedby': describedBy,
  };
  // The label above a control, then whatever follows it, then the help and the error.
  const labelled = (children: ReactNode) => (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
        {optionalMark}
      </label>
      {children}
      {messages}
    </div>
  );
  const setOptions = { shouldDirty: true, shouldValidate: true } as const;
  // A reference to a site resource (CTA, webhook endpoint, inbound hook) is picked from a list.
  const picker = useRefPicker(depth === 1 ? name : '');
  const templateField = offersVariables(useContext(NodeTypeContext), name);
  const textRef = useRef<HTMLInputElement | HTMLTextAreaElement | null>(null);
  if (picker && spec.kind === 'string') {
    const current: unknown = watch(name);
    const options = pickerOptions(picker.options, current);
    return labelled(
      <>
        <select {...control} disabled={disabled || picker.loading} {...register(name)}>
          <option value="">{picker.loading ? 'Loading…' : options.length ? 'Choose…' : 'None yet'}</option>
          {options.map((option) => (
            <option
              key={option.value}
              value={option.value}
              disabled={option.disabled && option.value !== current}
            >
              {option.label}
            </option>
          ))}
        </select>
        <Link className="small" to={picker.manage.href}>
          {picker.manage.label}
        </Link>
      </>,
    );
  }

  switch (spec.kind) {
    case 'literal':
      return null;
    case 'string':
    case 'scalar': {
      const registration = register(name);
      const ref = (el: HTMLInputElement | HTMLTextAreaElement | null) => {
        registration.ref(el);
        textRef.current = el;
      };
      return labelled(
        <>
          {spec.kind === 'string' && spec.multiline ? (
            <textarea {...control} rows={5} {...registration} ref={ref} />
          ) : (
            <input {...control} type="text" {...registration} ref={ref} />
          )}
          {templateField && !disabled && (
            <select
              className="input"
              aria-label={`Insert a variable into ${label}`}
              value=""
              onChange={(event) => {
                const token = event.target.value;
                if (!token) return;
                const { text, caret } = insertToken(watch(name), token, textRef.current?.selectionStart);
                setValue(name, text, setOptions);
                requestAnimationFrame(() => {
                  textRef.current?.focus();
                  textRef.current?.setSelectionRange(caret, caret);
                });
              }}
            >
              <option value="">Insert a variable…</option>
              {VARIABLE_SUGGESTIONS.map((v) => (
                <option key={v.token} value={v.token} title={v.description}>
                  {v.label} — {v.description}
                </option>
              ))}
            </select>
          )}
          {spec.kind === 'scalar' && !helpText && (
            <span className="field__help">Numbers, true/false, or several values separated by commas.</span>
          )}
        </>,
      );
    }
    case 'number':
      return labelled(
        <input
          {...control}
          type="number"
          step={spec.integer ? 1 : 'any'}
          min={spec.min}
          max={spec.max}
          {...register(name, { valueAsNumber: true })}
        />,
      );
    case 'boolean':
      return (
        <div className="field">
          <label className="checkbox" htmlFor={id}>
            <input id={id} type="checkbox" disabled={disabled} {...register(name)} /> {label}
          </label>
          {messages}
        </div>
      );
    case 'enum':
      return labelled(
        <select {...control} {...register(name)}>
          {spec.optional && <option value="">—</option>}
          {spec.options.map((option) => (
            <option key={option} value={option}>
              {humanize(option)}
            </option>
          ))}
        </select>,
      );
    case 'object': {
      const present = watch(name) !== undefined;
      if (spec.optional && !present) {
        return (
          <div className="field">
            <span className="field__label">{label}</span>
            <div>
              <button
                type="button"
                className="btn btn--small"
                disabled={disabled}
                onClick={() => setValue(name, defaultValueFor(unwrap(schema).schema) ?? {}, setOptions)}
              >
                Add {label.toLowerCase()}
              </button>
            </div>
            {messages}
          </div>
        );
      }
      return (
        <fieldset className="sform__fieldset" disabled={disabled}>
          <legend>
            {label}
            {spec.optional && (
              <button
                type="button"
                className="btn btn--ghost btn--small"
                onClick={() => setValue(name, undefined, setOptions)}
              >
                Remove
              </button>
            )}
          </legend>
          {messages}
          <ObjectFields spec={spec} name={name} help={help} disabled={disabled} depth={depth} />
        </fieldset>
      );
    }
    case 'variant': {
      const value = (watch(name) ?? {}) as Record<string, unknown>;
      const current = String(value[spec.discriminator] ?? '');
      const option = spec.options.find((candidate) => candidate.value === current);
      const optionSpec = option ? describe(option.schema) : null;
      return (
        <fieldset className="sform__fieldset" disabled={disabled}>
          <legend>{label}</legend>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-variant`}>
              {humanize(spec.discriminator)}
            </label>
            <select
              id={`${id}-variant`}
              className="input"
              value={current}
              onChange={(event) => {
                const next = spec.options.find((candidate) => candidate.value === event.target.value);
                if (next) setValue(name, defaultValueFor(next.schema), setOptions);
              }}
            >
              {spec.options.map((candidate) => (
                <option key={candidate.value} value={candidate.value}>
                  {humanize(candidate.value)}
                </option>
              ))}
            </select>
          </div>
          {messages}
          {optionSpec?.kind === 'object' && (
            <ObjectFields
              spec={optionSpec}
              name={name}
              help={help}
              disabled={disabled}
              depth={depth}
              skip={spec.discriminator}
            />
          )}
        </fieldset>
      );
    }
    case 'array': {
      const items = (watch(name) ?? []) as unknown[];
      const element = describe(spec.element);
      const itemLabel = singular(label);
      return (
        <fieldset className="sform__fieldset" disabled={disabled}>
          <legend>
            {label} <span className="muted">({items.length})</span>
          </legend>
          {messages}
          {items.map((_, index) => (
            <div className="sform__item" key={index}>
              <div className="sform__item-body">
                <Field
                  name={`${name}.${index}`}
                  label={`${itemLabel} ${index + 1}`}
                  schema={spec.element}
                  help={help}
                  disabled={disabled}
                  depth={depth + 1}
                />
              </div>
              <button
                type="button"
                className="btn btn--ghost btn--small"
                aria-label={`Remove ${itemLabel.toLowerCase()} ${index + 1}`}
                disabled={disabled || (spec.min !== undefined && items.length <= spec.min)}
                onClick={() =>
                  setValue(
                    name,
                    items.filter((__, position) => position !== index),
                    setOptions,
                  )
                }
              >
                ×
              </button>
            </div>
          ))}
          {depth < 8 && (
            <div>
              <button
                type="button"
                className="btn btn--small"
                disabled={disabled || (spec.max !== undefined && items.length >= spec.max)}
                onClick={() => setValue(name, [...items, defaultValueFor(spec.element)], setOptions)}
              >
                Add {element.kind === 'variant' ? 'rule' : itemLabel.toLowerCase()}
              </button>
            </div>
          )}
        </fieldset>
      );
    }
    case 'json':
      return (
        <div className="field">
          <span className="field__label">{label}</span>
          <code className="small">{JSON.stringify(watch(name))}</code>
          {messages}
        </div>
      );
    default: {
      const unknownSpec: never = spec;
      return unknownSpec;
    }
  }
}

function singular(label: string): string {
  if (label.endsWith('ies')) return `${label.slice(0, -3)}y`;
  if (label.endsWith('s')) return label.slice(0, -1);
  return label;
}

function errorAt(errors: FieldErrors<FieldValues>, path: string): string | undefined {
  let current: unknown = errors;
  for (const part of path.split('.').filter(Boolean)) {
    if (current === undefined || current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  const found = current as { message?: unknown; root?: { message?: unknown } } | undefined;
  const message = found?.message ?? found?.root?.message;
  return typeof message === 'string' ? message : undefined;
}
