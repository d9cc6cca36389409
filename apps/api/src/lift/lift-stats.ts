/** 97.5th percentile of the standard normal: a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

export const LIFT_TEST =
  'two-proportion z-test (pooled); 95 % interval of the difference: Newcombe hybrid score (Wilson); relative lift: Katz log interval of the ratio';

export interface Group {
  visitors: number;
  converted: number;
}

export interface Lift {
  treated: Group & { rate: number | null };
  heldOut: Group & { rate: number | null };
  /** Treated rate minus held-out rate, with its 95 % interval; null without both groups. */
  absolute: { value: number; low: number; high: number } | null;
  /** Treated over held-out rate, minus 1, with its 95 % interval; null when the held-out rate is 0. */
  relative: { value: number; low: number; high: number } | null;
  /** Two-sided p-value of the z-test; null without both groups. */
  pValue: number | null;
  test: string;
}

/** Wilson score interval of a proportion. */
export function wilson(x: number, n: number, z = Z95): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Newcombe's hybrid score interval (his method 10) for p1 − p2. */
export function newcombe(x1: number, n1: number, x2: number, n2: number, z = Z95) {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const a = wilson(x1, n1, z);
  const b = wilson(x2, n2, z);
  const d = p1 - p2;
  return {
    value: d,
    low: d - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
    high: d + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
  };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export function twoProportionP(x1: number, n1: number, x2: number, n2: number): number {
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return 1;
  const z = (x1 / n1 - x2 / n2) / se;
  return 2 * (1 - normalCdf(Math.abs(z)));
}

/** Goal conversion of treated vs held-out visitors: lift, 95 % intervals and the test's p-value. */
export function lift(treated: Group, heldOut: Group): Lift {
  const rate = (g: Group) => (g.visitors > 0 ? g.converted / g.visitors : null);
  const both = treated.visitors > 0 && heldOut.visitors > 0;
  let relative: Lift['relative'] = null;
  if (both && heldOut.converted > 0 && treated.converted > 0) {
    const ratio = treated.converted / treated.visitors / (heldOut.converted / heldOut.visitors);
    const se = Math.sqrt(
      1 / treated.converted - 1 / treated.visitors + 1 / heldOut.converted - 1 / heldOut.visitors,
    );
    relative = {
      value: ratio - 1,
      low: ratio * Math.exp(-Z95 * se) - 1,
      high: ratio * Math.exp(Z95 * se) - 1,
    };
  }
  return {
    treated: { ...treated, rate: rate(treated) },
    heldOut: { ...heldOut, rate: rate(heldOut) },
    absolute: both
      ? newcombe(treated.converted, treated.visitors, heldOut.converted, heldOut.visitors)
      : null,
    relative,
    pValue: both
      ? twoProportionP(treated.converted, treated.visitors, heldOut.converted, heldOut.visitors)
      : null,
    test: LIFT_TEST,
  };
}
