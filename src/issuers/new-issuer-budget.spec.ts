import { NewIssuerBudget } from './new-issuer-budget.js';

describe('NewIssuerBudget: new issuers per minute, over a sliding window', () => {
  it('grants perMinute in any 60 s, and one more as each grant turns a minute old', () => {
    let now = 1_000_000;
    const budget = new NewIssuerBudget(3, () => now);
    expect([budget.take(), budget.take()]).toEqual([true, true]);
    now += 30_000;
    expect([budget.take(), budget.take()]).toEqual([true, false]);
    expect(budget.waitMs()).toBe(30_000);
    // The turn of a minute frees only the grants that are a minute old: the first two, not the third.
    now += 30_000;
    expect([budget.take(), budget.take(), budget.take()]).toEqual([true, true, false]);
    expect(budget.waitMs()).toBe(30_000);
    now += 29_999;
    expect(budget.take()).toBe(false);
    now += 1;
    expect(budget.take()).toBe(true);
  });

  it('never grants more than perMinute within a minute, however often it is asked', () => {
    let now = 0;
    const budget = new NewIssuerBudget(10, () => now);
    const grantedAt: number[] = [];
    for (let step = 0; step < 10_000; step++) {
      now += 37;
      if (budget.take()) grantedAt.push(now);
    }
    for (let i = 10; i < grantedAt.length; i++) {
      expect(grantedAt[i] - grantedAt[i - 10]).toBeGreaterThanOrEqual(60_000);
    }
    expect(grantedAt.length).toBeGreaterThan(50);
  });
});
