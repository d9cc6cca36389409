import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useMemo, useRef } from 'react';
import { FormProvider, useForm, type FieldValues, type Resolver } from 'react-hook-form';
import { cleanValue, type ZodLike } from '../editor/schema-fields';
import { SchemaFields } from './SchemaForm';

interface Props {
  /** A zod schema (node config or flow settings); the form is generated from it. */
  schema: unknown;
  value: unknown;
  help: Record<string, string>;
  readOnly: boolean;
  label: string;
  onChange: (value: unknown) => void;
}

/**
 * react-hook-form + zodResolver over a generated form. Every change is cleaned and handed to
 * `onChange` (so it lands in undo history and autosave); outside changes (undo) reset the form.
 */
export function ConfigForm({ schema, value, help, readOnly, label, onChange }: Props) {
  const zodLike = schema as ZodLike;
  const resolver = useMemo<Resolver<FieldValues>>(() => {
    const zod = zodResolver(schema as never) as unknown as Resolver<FieldValues>;
    return (values, context, options) => zod(cleanValue(zodLike, values) as FieldValues, context, options);
  }, [schema, zodLike]);
  const form = useForm<FieldValues>({ defaultValues: value as FieldValues, resolver, mode: 'onChange' });
  const lastWritten = useRef(JSON.stringify(value));
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    void form.trigger();
  }, [form]);

  useEffect(() => {
    const serialized = JSON.stringify(value);
    if (serialized !== lastWritten.current) {
      lastWritten.current = serialized;
      form.reset(value as FieldValues);
      void form.trigger();
    }
  }, [value, form]);

  useEffect(() => {
    if (readOnly) return;
    const subscription = form.watch((values) => {
      const cleaned = cleanValue(zodLike, values);
      const serialized = JSON.stringify(cleaned);
      if (serialized === lastWritten.current) return;
      lastWritten.current = serialized;
      onChangeRef.current(cleaned);
    });
    return () => subscription.unsubscribe();
  }, [form, zodLike, readOnly]);

  return (
    <FormProvider {...form}>
      <form className="sform" onSubmit={(event) => event.preventDefault()} aria-label={label}>
        <SchemaFields schema={zodLike} help={help} disabled={readOnly} />
      </form>
    </FormProvider>
  );
}
