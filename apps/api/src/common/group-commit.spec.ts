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

  it("isolates a data error: the group's submissions are flushed again one by one, only the bad one fails", async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        flushes.push(items);
        if (items.includes(-1)) throw Object.assign(new Error('invalid byte sequence'), { code: '22021' });
        if (items.includes(-2)) throw new Error('connection lost');
        return items;
      },
      1,
      5000,
      { isolate: (err) => (err as { code?: string }).code?.startsWith('22') ?? false },
    );
    const outcome = (p: Promise<number[]>) =>
      p.then(
        (r) => r,
        (e: Error) => e.message,
      );
    const first = outcome(gc.submit('s', [0]));
    const rest = [[1, 2], [-1], [3]].map((items) => outcome(gc.submit('s', items)));
    expect(await first).toEqual([0]);
    expect(await Promise.all(rest)).toEqual([[1, 2], 'invalid byte sequence', [3]]);
    expect(flushes).toEqual([[0], [1, 2, -1, 3], [1, 2], [-1], [3]]);
    // Any other error fails the whole group, as before (nothing to learn from trying each alone).
    flushes.length = 0;
    const hold = outcome(gc.submit('s', [9]));
    const both = [[4], [-2]].map((items) => outcome(gc.submit('s', items)));
    expect(await hold).toEqual([9]);
    expect(await Promise.all(both)).toEqual(['connection lost', 'connection lost']);
    expect(flushes).toEqual([[9], [4, -2]]);
  });
});
