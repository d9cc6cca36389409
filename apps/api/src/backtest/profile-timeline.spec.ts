import { foldTraits, traitsAtWindowStart } from './profile-timeline';

const at = (ts: number, id: number) => ({ ts, id: BigInt(id) });

describe('traitsAtWindowStart', () => {
  it('undoes the identify changes since the window opened, newest first', () => {
    const today = { plan: 'pro', email: 'x@example.com', kept: 1 };
    const start = traitsAtWindowStart(
      today,
      [
        { ...at(10, 1), key: 'plan', previous: null },
        { ...at(20, 5), key: 'plan', previous: 'free' },
        { ...at(30, 9), key: 'email', previous: 'old@example.com' },
      ],
      [],
    );
    // plan: absent → free (t=10) → pro (t=20); email changed once; `kept` never changed.
    expect(start).toEqual({ email: 'old@example.com', kept: 1 });
    expect(today).toEqual({ plan: 'pro', email: 'x@example.com', kept: 1 });
  });

  it('drops the traits a merge in the window brought, and undoes the merge after the changes of its identify', () => {
    // At t=50 `a` (plan pro, email) merged in; the same identify then set plan to gold.
    const today = { plan: 'gold', email: 'a@example.com', own: true };
    const start = traitsAtWindowStart(
      today,
      [{ ...at(50, 3), key: 'plan', previous: 'pro' }],
      [{ traits: { plan: 'pro', email: 'a@example.com' }, at: at(50, 7) }],
    );
    expect(start).toEqual({ own: true });
  });

  it('keeps what a merge before the window brought', () => {
    expect(traitsAtWindowStart({ plan: 'pro' }, [], [{ traits: { plan: 'pro' }, at: null }])).toEqual({
      plan: 'pro',
    });
  });
});

describe('foldTraits', () => {
  it('fills missing keys from merged profiles, then applies the identify (new values win)', () => {
    expect(foldTraits({ plan: 'free' }, [{ plan: 'pro', email: 'a@example.com' }], { plan: 'gold' })).toEqual(
      {
        plan: 'gold',
        email: 'a@example.com',
      },
    );
    expect(foldTraits({ plan: 'free' }, [], null)).toEqual({ plan: 'free' });
  });

  it('replaying the window forward from its start gives today’s traits back', () => {
    const start = traitsAtWindowStart(
      { plan: 'gold', email: 'a@example.com' },
      [{ ...at(50, 3), key: 'plan', previous: 'pro' }],
      [{ traits: { plan: 'pro', email: 'a@example.com' }, at: at(50, 7) }],
    );
    expect(foldTraits(start, [{ plan: 'pro', email: 'a@example.com' }], { plan: 'gold' })).toEqual({
      plan: 'gold',
      email: 'a@example.com',
    });
  });
});
