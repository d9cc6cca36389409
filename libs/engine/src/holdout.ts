import { stableUnit } from './stable-hash';

/**
 * Whether a visitor is in a flow's holdout: a stable hash of visitor and flow, so the visitor stays in
 * the same group across re-entries and versions (the runtime and the backtest both ask this).
 */
export function isHeldOut(visitorId: string, flowId: string, percent: number | undefined): boolean {
  if (!percent || percent <= 0) return false;
  return stableUnit('holdout', flowId, visitorId) * 100 < percent;
}
