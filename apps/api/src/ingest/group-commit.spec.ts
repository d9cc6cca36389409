import { GroupCommit } from './group-commit';

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
});
