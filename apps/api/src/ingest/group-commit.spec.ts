import { GroupCommit, laneOf } from './group-commit';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('GroupCommit', () => {
  it('resolves a submission only after the flush that carried it, with its own slice of results', async () => {
    const flushes: { items: number[]; done: () => void }[] = [];
    const gc = new GroupCommit<number, number>(
      (items) =>
        new Promise((resolve) => flushes.push({ items, done: () => resolve(items.map((i) => i * 10)) })),
      1,
    );
    let firstDone = false;
    const a = gc.submit('s', [1]).then((r) => ((firstDone = true), r));
    const b = gc.submit('s', [2, 3]);
    const c = gc.submit('s', [4]);
    await tick();
    expect(flushes.map((f) => f.items)).toEqual([[1]]); // default: one flush at a time
    expect(firstDone).toBe(false);
    flushes[0].done();
    expect(await a).toEqual([10]);
    await tick();
    expect(flushes[1].items).toEqual([2, 3, 4]); // everything queued meanwhile goes together
    flushes[1].done();
    expect(await b).toEqual([20, 30]);
    expect(await c).toEqual([40]);
    expect(gc.idle).toBe(true);
  });

  it('pipelines a second flush per lane after lingering, and never more than inFlight', async () => {
    const flushes: { items: number[]; done: () => void; fail: (e: Error) => void }[] = [];
    const gc = new GroupCommit<number, number>(
      (items) =>
        new Promise((resolve, reject) => flushes.push({ items, done: () => resolve(items), fail: reject })),
      1,
      5000,
      { inFlight: 2, lingerMs: 1, minItems: 1000 },
    );
    const a = gc.submit('s', [1]);
    const b = gc.submit('s', [2]);
    const c = gc.submit('s', [3]);
    expect(flushes.map((f) => f.items)).toEqual([[1]]);
    await tick();
    expect(flushes.map((f) => f.items)).toEqual([[1], [2, 3]]);
    const d = gc.submit('s', [4]);
    await tick();
    expect(flushes).toHaveLength(2); // both slots busy: 4 waits
    flushes[1].fail(new Error('boom'));
    await expect(b).rejects.toThrow('boom');
    await expect(c).rejects.toThrow('boom');
    await tick();
    expect(flushes[2].items).toEqual([4]);
    flushes[0].done();
    flushes[2].done();
    expect(await a).toEqual([1]);
    expect(await d).toEqual([4]);
    expect(gc.idle).toBe(true);
  });

  it('splits a submission by key: one key stays in one flush and in order, results come back in input order', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      flushes.push(items);
      return items.map((i) => i * 10);
    }, 4);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const keys = ['x', 'y', 'x', 'z', 'y', 'x', 'w', 'z'];
    expect(await gc.submitSplit(items, keys)).toEqual(items.map((i) => i * 10));
    expect(flushes.flat().sort()).toEqual(items);
    for (const k of new Set(keys)) {
      const mine = items.filter((_, i) => keys[i] === k);
      const flush = flushes.find((f) => f.includes(mine[0])) as number[];
      expect(flush.filter((i) => mine.includes(i))).toEqual(mine); // together, in order
    }
    expect(flushes.length).toBeGreaterThan(1); // four keys over four lanes: not all in one
  });

  it('rejects a split submission when one of its parts fails', async () => {
    const gc = new GroupCommit<number, number>(async (items) => {
      if (items.includes(2)) throw new Error('part failed');
      return items;
    }, 4);
    const keys = ['x', 'y', 'z', 'w'];
    const lanes = new Set(keys.map((k) => laneOf(k, 4)));
    expect(lanes.size).toBeGreaterThan(1);
    await expect(gc.submitSplit([1, 2, 3, 4], keys)).rejects.toThrow('part failed');
  });
});
