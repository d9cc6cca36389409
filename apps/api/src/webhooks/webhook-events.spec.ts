import { deliverJobs } from './webhook-events';

describe('deliverJobs', () => {
  const msg = (siteId: string, i: number, delayMs?: number) => ({ siteId, id: `m${i}`, attempt: 0, delayMs });

  it('gives messages due now one job per batch of their site, and each later one its own delayed job', () => {
    const jobs = deliverJobs(
      [msg('a', 1), msg('a', 2), msg('b', 3), msg('a', 4), msg('a', 5, 5000), msg('b', 6), msg('a', 7)],
      3,
    );
    expect(jobs.map((j) => [j.data.siteId, j.data.messageId, j.opts.delay])).toEqual([
      ['a', 'm1', 0],
      ['b', 'm3', 0],
      ['a', 'm5', 5000],
      ['a', 'm7', 0],
    ]);
    expect(jobs[0].opts).toMatchObject({ jobId: 'whmsg-m1-0', attempts: 5, removeOnComplete: true });
  });

  it('has enough jobs for every due message (each claims up to a batch)', () => {
    for (const n of [1, 15, 16, 17, 100]) {
      const jobs = deliverJobs(
        Array.from({ length: n }, (_, i) => msg('s', i)),
        16,
      );
      expect(jobs.length * 16).toBeGreaterThanOrEqual(n);
      expect(jobs.length).toBe(Math.ceil(n / 16));
    }
  });
});
