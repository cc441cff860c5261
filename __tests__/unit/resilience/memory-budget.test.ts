import { MemoryBudget } from '../../../lib/resilience/memory-budget';

describe('MemoryBudget', () => {
  it('takes what fits and refuses what does not', () => {
    const budget = new MemoryBudget(10);
    expect(budget.tryTake(6)).toBe(true);
    expect(budget.tryTake(5)).toBe(false);
    expect(budget.tryTake(4)).toBe(true);
    budget.give(6);
    expect(budget.inUse).toBe(4);
  });

  it('grants waiters in order as bytes come back, ahead of tryTake', async () => {
    const budget = new MemoryBudget(10);
    budget.tryTake(8);
    const granted: string[] = [];
    const first = budget.take(5).then(() => granted.push('first'));
    const second = budget.take(5).then(() => granted.push('second'));
    // Room for 2, but a download waits: an optional buffer must not jump the queue.
    expect(budget.tryTake(1)).toBe(false);
    budget.give(8);
    await Promise.all([first, second]);
    expect(granted).toEqual(['first', 'second']);
    expect(budget.inUse).toBe(10);
  });

  it('lets a request larger than the budget through once nothing else is taken', async () => {
    const budget = new MemoryBudget(10);
    budget.tryTake(1);
    let done = false;
    const big = budget.take(50).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    budget.give(1);
    await big;
    expect(budget.inUse).toBe(50);
  });

  it('asks holders of optional memory to give it back when a take has to wait', async () => {
    const budget = new MemoryBudget(10);
    budget.tryTake(10);
    const stop = budget.onShortage(() => budget.give(10));
    await budget.take(4);
    expect(budget.inUse).toBe(4);
    stop();
    let granted = false;
    void budget.take(7).then(() => (granted = true));
    await Promise.resolve();
    expect(granted).toBe(false);
    expect(budget.contended).toBe(true);
  });
});
