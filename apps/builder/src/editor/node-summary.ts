/** One line per node kind for the canvas, from the registry's `summary` of each kind. */
import { nodeSummaryText, type FlowNode } from '@nudgeflow/flow-schema';

const MAX = 70;

export function nodeSummary(node: FlowNode): string {
  const text = nodeSummaryText(node);
  return text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text;
}
