import { useStore } from '@xyflow/react';

/**
 * Below this zoom, text on the canvas is too small to read: nodes drop their one-line summary and edges
 * their "+" and labels (hundreds of DOM nodes fewer on a big flow). A boolean selector, so a component
 * re-renders only when the zoom crosses the line, not on every pan or zoom step.
 */
export const FAR_ZOOM = 0.45;
export const useFarZoom = (): boolean => useStore((state) => state.transform[2] < FAR_ZOOM);
