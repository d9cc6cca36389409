import { forwardRef, type SelectHTMLAttributes } from 'react';

const ZONES: string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export const TimezoneSelect = forwardRef<HTMLSelectElement, SelectHTMLAttributes<HTMLSelectElement>>(
  function TimezoneSelect(props, ref) {
    return (
      <select ref={ref} className="input" {...props}>
        {!ZONES.includes('UTC') && <option value="UTC">UTC</option>}
        {ZONES.map((zone) => (
          <option key={zone} value={zone}>
            {zone}
          </option>
        ))}
      </select>
    );
  },
);
