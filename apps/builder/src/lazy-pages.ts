import { preloadable } from './components/preloadable';

// The editor pulls in React Flow, elkjs and the engine: loaded when a flow is opened, or ahead of that
// (a link straight to a flow, the flows list).
export const { Component: FlowEditorPage, preload: preloadEditor } = preloadable(
  () => import('./pages/FlowEditorPage'),
);
// Reports pull in recharts: loaded only when opened.
export const { Component: ReportsPage } = preloadable(() => import('./pages/ReportsPage'));
// Secondary screens: their own chunks, so the first load stays small.
export const { Component: WebhooksPage } = preloadable(() =>
  import('./pages/WebhooksPage').then((m) => ({ default: m.WebhooksPage })),
);
export const { Component: RunsPage } = preloadable(() =>
  import('./pages/RunsPage').then((m) => ({ default: m.RunsPage })),
);
// The CTA editor (gallery, sections, the embed's renderer for its preview).
export const { Component: CtasPage } = preloadable(() =>
  import('./pages/CtasPage').then((m) => ({ default: m.CtasPage })),
);
