/**
 * A labelled drop-down of a filter bar or a small form. `any` adds a first, empty choice (e.g. "Any
 * status") for "no filter"; `wide` lets the field take a wider column of the filter bar.
 */
export function SelectField<Value extends string>({
  label,
  value,
  options,
  onChange,
  any,
  wide = false,
}: {
  label: string;
  value: Value | '';
  options: readonly { value: Value; label: string }[];
  onChange: (value: Value | '') => void;
  any?: string;
  wide?: boolean;
}) {
  return (
    <label className={wide ? 'field field--wide' : 'field'}>
      <span className="field__label">{label}</span>
      <select className="input" value={value} onChange={(e) => onChange(e.target.value as Value | '')}>
        {any !== undefined && <option value="">{any}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}
