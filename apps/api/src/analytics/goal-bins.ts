/**
 * Time to goal is stored as counts per logarithmic bin (a quarter octave, ~19 % wide), so medians
 * merge across minute/hour/day buckets. The SQL twin of `binOf` lives in rollup-pass.ts.
 */
export const GOAL_BINS_PER_OCTAVE = 4;
export const GOAL_MAX_BIN = 127;

export function binOf(seconds: number): number {
  const s = Math.max(0, seconds);
  return Math.min(GOAL_MAX_BIN, Math.floor(GOAL_BINS_PER_OCTAVE * Math.log2(1 + s)));
}

/** Lower and upper bound (seconds) of a bin. */
export function binBounds(bin: number): [number, number] {
  return [2 ** (bin / GOAL_BINS_PER_OCTAVE) - 1, 2 ** ((bin + 1) / GOAL_BINS_PER_OCTAVE) - 1];
}

/** Median (seconds) from bin counts: the geometric middle of the bin holding the middle run. */
export function medianFromBins(bins: ReadonlyMap<number, number>): number | null {
  const total = [...bins.values()].reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const half = total / 2;
  let seen = 0;
  for (const bin of [...bins.keys()].sort((a, b) => a - b)) {
    seen += bins.get(bin) ?? 0;
    if (seen >= half) {
      const mid = 2 ** ((bin + 0.5) / GOAL_BINS_PER_OCTAVE) - 1;
      return Math.round(mid * 10) / 10;
    }
  }
  return null;
}
