import { TickBatcher } from './tick-batcher';

describe('TickBatcher', () => {
  it('answers calls of one turn with one flush per key, each its own result, in order', async () => {
    const flushes: [string, number[]][] = [];
    const batcher = new TickBatcher<number, number>(async (key, items) => {
      flushes.push([key, items]);
      return items.map((n) => n * 10);
    });
    const answers = await Promise.all([batcher.add('a', 1), batcher.add('b', 2), batcher.add('a', 3)]);
    expect(answers).toEqual([10, 20, 30]);
    expect(flushes).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
    // A later turn starts a new batch.
    expect(await batcher.add('a', 4)).toBe(40);
    expect(flushes.at(-1)).toEqual(['a', [4]]);
  });

  it('caps a batch at maxItems and rejects every call of a failed flush', async () => {
    const sizes: number[] = [];
    const batcher = new TickBatcher<number, number>(async (_key, items) => {
      sizes.push(items.length);
      if (items.includes(-1)) throw new Error('boom');
      return items;
    }, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.add('k', n)))).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
    const failed = await Promise.allSettled([batcher.add('k', 7), batcher.add('k', -1)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('with maxInFlight, gathers calls made during a running flush into the next batch', async () => {
    const batches: number[][] = [];
    let running = 0;
    let peak = 0;
    let release: (() => void) | undefined;
    const batcher = new TickBatcher<number, number>(
      async (_key, items) => {
        running++;
        peak = Math.max(peak, running);
        batches.push(items);
        if (items[0] === 1) await new Promise<void>((r) => (release = r));
        running--;
        return items.map((n) => -n);
      },
      3,
      1,
    );
    const first = batcher.add('k', 1);
    await new Promise((r) => setImmediate(r)); // the first flush starts and blocks
    const later = [2, 3, 4, 5, 6].map((n) => batcher.add('k', n));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]); // nothing else flushes while one is in flight
    release?.();
    expect(await first).toBe(-1);
    expect(await Promise.all(later)).toEqual([-2, -3, -4, -5, -6]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    expect(peak).toBe(1);
    // A quiet key flushes on the next turn again.
    expect(await batcher.add('k', 7)).toBe(-7);
    expect(batches.at(-1)).toEqual([7]);
  });
});
