import type { FlowStatus } from '../api/flows';

const LABELS: Record<FlowStatus, string> = {
  draft: 'Draft',
  live: 'Live',
  paused: 'Paused',
  archived: 'Archived',
};

export function StatusBadge({ status }: { status: FlowStatus }) {
  return <span className={`badge badge--${status}`}>{LABELS[status] ?? status}</span>;
}
