import type { CtaDisplay } from './types';

/** Calls `fire` once when the display rule is met; returns a cancel function. */
export function whenTriggered(display: CtaDisplay, fire: () => void): () => void {
  let cleanup = (): void => undefined;
  const once = (): void => {
    cleanup();
    fire();
  };
  const on = <K extends keyof DocumentEventMap>(
    type: K,
    test: (e: DocumentEventMap[K]) => boolean,
    target: Document | Window = document,
  ): void => {
    const listener = (e: Event): void => {
      if (test(e as DocumentEventMap[K])) once();
    };
    target.addEventListener(type, listener, { capture: true, passive: true });
    cleanup = () => target.removeEventListener(type, listener, { capture: true });
  };

  switch (display.trigger) {
    case 'load':
      fire();
      break;
    case 'delay': {
      const t = setTimeout(fire, Math.max(0, Number(display.seconds) || 0) * 1000);
      cleanup = () => clearTimeout(t);
      break;
    }
    case 'scroll': {
      const percent = Number(display.percent) || 0;
      const reached = (): boolean => {
        const el = document.documentElement;
        const max = el.scrollHeight - innerHeight;
        return max <= 0 || (scrollY / max) * 100 >= percent;
      };
      if (reached()) fire();
      else on('scroll', reached, window);
      break;
    }
    case 'exit_intent':
      // Desktop only: the pointer leaves through the top edge (towards tabs / address bar).
      if (!matchMedia('(pointer: coarse)').matches) {
        on('mouseout', (e) => !e.relatedTarget && e.clientY <= 0);
      }
      break;
    case 'click':
      on('click', (e) => {
        const t = e.target;
        try {
          return !!display.selector && t instanceof Element && !!t.closest(display.selector);
        } catch {
          return false; // invalid selector
        }
      });
      break;
    default: {
      const never: never = display.trigger;
      console.warn('nudgeflow: unknown display trigger', never);
    }
  }
  return () => cleanup();
}
