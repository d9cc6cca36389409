/**
 * A value shown once for the user to copy (a signing secret, a URL holding a token): read-only, in
 * monospace, selected whole when focused.
 */
export function SecretField({ label, value }: { label: string; value: string }) {
  return (
    <label className="field">
      <span className="field__label">{label}</span>
      <input className="input mono" readOnly value={value} onFocus={(e) => e.target.select()} />
    </label>
  );
}
