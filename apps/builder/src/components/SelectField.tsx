/** With `any`, the empty choice is a value too; without, the value is always one of the options. */
type Choice<Value extends string> =
  | { any: string; value: Value | ''; onChange: (value: Value | '') => void }
  | { any?: undefined; value: Value; onChange: (value: Value) => void };

/**
 * A labelled drop-down of a filter bar or a small form. `any` adds a first, empty choice (e.g. "Any
 * status") for "no filter"; `wide` lets the field take a wider column of the filter bar.
 */
export function SelectField<Value extends string>({
  label,
  options,
  wide = false,
  ...choice
}: {
  label: string;
  options: readonly { value: Value; label: string }[];
  wide?: boolean;
} & Choice<Value>) {
  return (
    <label className={wide ? 'field field--wide' : 'field'}>
      <span className="field__label">{label}</span>
      <select
        className="input"
        value={choice.value}
        onChange={(e) => (choice.onChange as (value: string) => void)(e.target.value)}
      >
        {choice.any !== undefined && <option value="">{choice.any}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}
