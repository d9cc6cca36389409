import type { FlowGraph, FlowSettings } from '@nudgeflow/flow-schema';

export function SimulatorPanel(_props: { graph: FlowGraph; settings: FlowSettings }) {
  return <p className="panel__section muted">The simulator is loading…</p>;
}
