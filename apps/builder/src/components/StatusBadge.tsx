import type { CtaStatus } from '../api/ctas';
import type { FlowStatus } from '../api/flows';

const LABELS: Record<FlowStatus | CtaStatus, string> = {
  draft: 'Draft',
  live: 'Live',
  published: 'Published',
  paused: 'Paused',
  archived: 'Archived',
};

/** Flows and CTAs share the colours: a published CTA is live. */
export function StatusBadge({ status }: { status: FlowStatus | CtaStatus }) {
  const tone = status === 'published' ? 'live' : status;
  return <span className={`badge badge--${tone}`}>{LABELS[status] ?? status}</span>;
}
