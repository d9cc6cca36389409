import { canRedo, canUndo, createHistory, record, redo, reset, undo } from './history';

describe('history', () => {
  it('undoes and redoes every recorded edit in order', () => {
    let history = createHistory('a');
    history = record(history, 'b', { now: 0 });
    history = record(history, 'c', { now: 5000 });
    expect(history.present).toBe('c');
    history = undo(history);
    expect(history.present).toBe('b');
    history = undo(history);
    expect(history.present).toBe('a');
    expect(canUndo(history)).toBe(false);
    expect(undo(history)).toBe(history);
    history = redo(redo(history));
    expect(history.present).toBe('c');
    expect(canRedo(history)).toBe(false);
  });

  it('drops the redo branch on a new edit', () => {
    let history = record(record(createHistory(1), 2, { now: 0 }), 3, { now: 5000 });
    history = record(undo(history), 4, { now: 9000 });
    expect(history.present).toBe(4);
    expect(canRedo(history)).toBe(false);
    expect(undo(history).present).toBe(2);
  });

  it('coalesces edits with the same key inside the window into one step', () => {
    let history = createHistory('');
    history = record(history, 'h', { key: 'label', now: 0 });
    history = record(history, 'he', { key: 'label', now: 300 });
    history = record(history, 'hey', { key: 'label', now: 600 });
    expect(history.past).toEqual(['']);
    expect(undo(history).present).toBe('');
    history = record(history, 'hey!', { key: 'label', now: 5000 });
    expect(undo(history).present).toBe('hey');
    history = record(history, 'x', { key: 'other', now: 5100 });
    expect(undo(history).present).toBe('hey!');
  });

  it('ignores a no-op edit and respects the limit', () => {
    const start = createHistory({ n: 0 });
    expect(record(start, start.present)).toBe(start);
    let history = start;
    for (let n = 1; n <= 10; n++) history = record(history, { n }, { limit: 3, now: n * 10_000 });
    expect(history.past.map((state) => state.n)).toEqual([7, 8, 9]);
  });

  it('reset replaces the present without an undo step', () => {
    const history = reset(record(createHistory(1), 2), 10);
    expect(history.present).toBe(10);
    expect(canUndo(history)).toBe(false);
  });
});
