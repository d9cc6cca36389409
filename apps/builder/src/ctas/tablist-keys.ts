import type { KeyboardEvent } from 'react';

/**
 * Arrow keys, Home and End move between the tabs of a tablist (WAI-ARIA tabs pattern, automatic
 * activation): focus moves and `select(index)` is called.
 */
export function onTablistKey(
  event: KeyboardEvent<HTMLElement>,
  count: number,
  current: number,
  select: (i: number) => void,
) {
  const next =
    event.key === 'ArrowRight'
      ? (current + 1) % count
      : event.key === 'ArrowLeft'
        ? (current - 1 + count) % count
        : event.key === 'Home'
          ? 0
          : event.key === 'End'
            ? count - 1
            : -1;
  if (next < 0) return;
  event.preventDefault();
  select(next);
  event.currentTarget.querySelectorAll<HTMLElement>('[role="tab"]')[next]?.focus();
}
