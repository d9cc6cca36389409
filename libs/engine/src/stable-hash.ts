/**
 * FNV-1a (32-bit) over UTF-16 code units, followed by the murmur3 fmix32 finaliser: FNV alone
 * spreads sequential ids (run-1, run-2...) poorly across the high bits that pick a split branch.
 */
export function stableHash32(input: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < input.length; index += 1) {
    hash ^= input.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A number in [0, 1) derived only from the parts. */
export function stableUnit(...parts: string[]): number {
  return stableHash32(parts.join('\u0000')) / 0x1_0000_0000;
}

/** Picks an index by weight; zero-weight entries are never chosen. */
export function pickWeighted(unit: number, weights: readonly number[]): number {
  const total = weights.reduce((sum, weight) => sum + Math.max(0, weight), 0);
  if (total <= 0) return 0;
  let threshold = unit * total;
  for (let index = 0; index < weights.length; index += 1) {
    const weight = Math.max(0, weights[index] ?? 0);
    if (threshold < weight) return index;
    threshold -= weight;
  }
  // Floating point leftovers land on the last branch with weight.
  for (let index = weights.length - 1; index >= 0; index -= 1) if ((weights[index] ?? 0) > 0) return index;
  return 0;
}
