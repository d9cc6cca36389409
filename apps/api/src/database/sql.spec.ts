import { retryOnDeadlock } from './sql';

const deadlock = () => Object.assign(new Error('deadlock'), { driverError: { code: '40P01' } });

describe('retryOnDeadlock', () => {
  it('runs the work again when it was a deadlock victim, and returns its result', async () => {
    let calls = 0;
    const result = await retryOnDeadlock(async () => {
      calls++;
      if (calls < 3) throw deadlock();
      return 'done';
    });
    expect([result, calls]).toEqual(['done', 3]);
  });

  it('gives up after the last attempt, and never retries other errors', async () => {
    let calls = 0;
    await expect(
      retryOnDeadlock(async () => {
        calls++;
        throw deadlock();
      }, 2),
    ).rejects.toThrow('deadlock');
    expect(calls).toBe(2);
    calls = 0;
    const unique = Object.assign(new Error('duplicate'), { code: '23505' });
    await expect(
      retryOnDeadlock(async () => {
        calls++;
        throw unique;
      }),
    ).rejects.toBe(unique);
    expect(calls).toBe(1);
  });
});
