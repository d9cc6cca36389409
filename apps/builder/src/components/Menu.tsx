import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

/**
 * A "More ▾" menu button: opens with a click, Enter or Space (focus moves to the first item), arrow keys
 * move between items, Escape or a click outside closes it, and items close it when used (each item gets
 * `close`).
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
  const [open, setOpen] = useState(false);
  // Fixed to the viewport under the button, so a scrolling table around it never clips the list.
  const [place, setPlace] = useState({ top: 0, right: 0 });
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const listId = useId();
  const close = () => setOpen(false);
  const items = () =>
    [...(root.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])].filter(
      (el) => !el.hasAttribute('disabled'),
    );

  useEffect(() => {
    if (!open) return;
    items()[0]?.focus();
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const onScroll = (event: Event) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    window.addEventListener('scroll', onScroll, true);
    window.addEventListener('resize', close);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      window.removeEventListener('scroll', onScroll, true);
      window.removeEventListener('resize', close);
    };
  }, [open]);

  return (
    <div
      className="menu"
      ref={root}
      onKeyDown={(event) => {
        if (!open) return;
        if (event.key === 'Escape') {
          event.stopPropagation();
          setOpen(false);
          button.current?.focus();
        } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          const list = items();
          const at = list.indexOf(document.activeElement as HTMLElement);
          const next = event.key === 'ArrowDown' ? at + 1 : at - 1;
          list[(next + list.length) % list.length]?.focus();
        }
      }}
    >
      <button
        ref={button}
        type="button"
        className="btn btn--small"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        onClick={() => {
          const box = button.current?.getBoundingClientRect();
          if (box) setPlace({ top: box.bottom + 4, right: Math.max(8, window.innerWidth - box.right) });
          setOpen((value) => !value);
        }}
      >
        {buttonLabel} ▾
      </button>
      {open && (
        <div className="menu__list" role="menu" id={listId} aria-label={label} style={place}>
          {children(close)}
        </div>
      )}
    </div>
  );
}
