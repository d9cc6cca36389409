import { deliverJobMessages, deliverJobs } from './webhook-events';

describe('deliverJobs', () => {
  const msg = (siteId: string, i: number, delayMs?: number) => ({ siteId, id: `m${i}`, attempt: 0, delayMs });

  it('gives messages due now one job per batch of their site, listing the others, and each later one its own delayed job', () => {
    const jobs = deliverJobs(
      [msg('a', 1), msg('a', 2), msg('b', 3), msg('a', 4), msg('a', 5, 5000), msg('b', 6), msg('a', 7)],
      3,
    );
    expect(
      jobs.map((j) => [j.data.siteId, j.data.messageId, j.opts.delay, j.data.others?.map((o) => o.id)]),
    ).toEqual([
      ['a', 'm1', 0, ['m2', 'm4']],
      ['b', 'm3', 0, ['m6']],
      ['a', 'm5', 5000, undefined],
      ['a', 'm7', 0, undefined],
    ]);
    expect(jobs[0].opts).toMatchObject({ jobId: 'whmsg-m1-0', attempts: 5, removeOnComplete: true });
  });

  it('puts every due message in exactly one job, with its own attempt', () => {
    for (const n of [1, 15, 16, 17, 100]) {
      const messages = Array.from({ length: n }, (_, i) => ({ siteId: 's', id: `m${i}`, attempt: i % 3 }));
      const jobs = deliverJobs(messages, 16);
      expect(jobs.length).toBe(Math.ceil(n / 16));
      const listed = jobs.flatMap((j) => deliverJobMessages(j.data));
      expect(listed).toEqual(messages.map((m) => ({ id: m.id, attempt: m.attempt })));
      expect(jobs.every((j) => deliverJobMessages(j.data).length <= 16)).toBe(true);
    }
  });

  it('with a batch of 1 gives every message a job of its own', () => {
    const jobs = deliverJobs([msg('a', 1), msg('a', 2), msg('a', 3)], 1);
    expect(jobs.map((j) => [j.data.messageId, j.data.others])).toEqual([
      ['m1', undefined],
      ['m2', undefined],
      ['m3', undefined],
    ]);
  });
});
