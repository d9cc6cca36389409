import type { ComponentProps, ReactNode } from 'react';

/**
 * A labelled one-line input of a filter bar or a form; every other prop (a react-hook-form `register`
 * spread included) goes to the `<input>`. `help` is shown under it; `wide` lets the field take a wider
 * column of the filter bar.
 */
export function InputField({
  label,
  help,
  wide = false,
  className,
  ...input
}: { label: string; help?: ReactNode; wide?: boolean } & ComponentProps<'input'>) {
  return (
    <label className={wide ? 'field field--wide' : 'field'}>
      <span className="field__label">{label}</span>
      <input className={className ? `input ${className}` : 'input'} {...input} />
      {help && <span className="field__help">{help}</span>}
    </label>
  );
}
