import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A "More" menu on a native <details>: opens with Enter/Space on its button, closes on Escape, on a
 * click outside, and when an item is used (items call the `close` they are given).
 */
export function Menu({
  label,
  buttonLabel = 'More',
  children,
}: {
  /** Accessible name of the button and the list, e.g. "More actions for https://…". */
  label: string;
  buttonLabel?: string;
  children: (close: () => void) => ReactNode;
}) {
  const ref = useRef<HTMLDetailsElement>(null);
  const close = () => ref.current?.removeAttribute('open');
  useEffect(() => {
    const onPointer = (event: PointerEvent) => {
      if (ref.current?.open && !ref.current.contains(event.target as Node)) close();
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && ref.current?.open) {
        close();
        ref.current.querySelector('summary')?.focus();
      }
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, []);
  return (
    <details className="menu" ref={ref}>
      <summary className="btn btn--small" aria-label={label}>
        {buttonLabel} ▾
      </summary>
      <div className="menu__list" role="menu" aria-label={label}>
        {children(close)}
      </div>
    </details>
  );
}
