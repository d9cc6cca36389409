import { type ComponentType, lazy } from 'react';

/**
 * A route's page (no props) as `React.lazy` with a `preload()`: once the chunk has loaded, the returned
 * component renders the module straight away instead of suspending. A lazy component always suspends on its first render, even when
 * its chunk came in long before, and React 19 then holds the Suspense fallback for up to 300 ms before it
 * reveals the content (its fallback throttle) — on a flow opened by a link that was a third of the load.
 */
export function preloadable(load: () => Promise<{ default: ComponentType }>): {
  Component: ComponentType;
  preload: () => Promise<unknown>;
} {
  let loaded: ComponentType | undefined;
  let pending: Promise<{ default: ComponentType }> | undefined;
  const preload = () =>
    (pending ??= load().then(
      (module) => {
        loaded = module.default;
        return module;
      },
      (error: unknown) => {
        pending = undefined; // a failed chunk load may be retried (the next render or preload)
        throw error;
      },
    ));
  const Lazy = lazy(preload);
  function Component() {
    const Loaded = loaded;
    return Loaded ? <Loaded /> : <Lazy />;
  }
  return { Component, preload };
}
