import { ReadyGate } from '../../src/consumers/ready-gate';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('ReadyGate', () => {
  it('is ready after the first fetch since a join of a running consumer, and lets waiters go then', async () => {
    const g = new ReadyGate();
    let done = false;
    void g.wait(10_000).then(() => (done = true));
    g.fetched(false); // not running yet (joining)
    await jest.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    g.fetched(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(g.isReady(true)).toBe(true);
    expect(g.isReady(false)).toBe(false);
    g.joined();
    expect(g.isReady(true)).toBe(false);
    g.fetched(true);
    g.gone();
    expect(g.isReady(true)).toBe(false);
  });

  it('a waiter is let go at its deadline, or when released', async () => {
    const g = new ReadyGate();
    const order: string[] = [];
    void g.wait(1000).then(() => order.push('deadline'));
    void g.wait(5000).then(() => order.push('released'));
    await jest.advanceTimersByTimeAsync(999);
    expect(order).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(order).toEqual(['deadline']);
    g.release();
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['deadline', 'released']);
  });
});
