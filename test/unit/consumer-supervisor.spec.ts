import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, ConsumerSupervisor } from '../../src/consumers/consumer-supervisor';
import type { Progress } from '../../src/consumers/partition-progress';

function supervised() {
  const crashes: string[] = [];
  const backoffs: number[] = [];
  const state = { alive: true, running: true, failNext: 0, replaced: 0 };
  const progress = new Map<string, Progress>();
  const sup = new ConsumerSupervisor({
    isAlive: () => state.alive,
    isRunning: () => state.running,
    crashed: (r) => crashes.push(r),
    replace: async () => {
      state.replaced += 1;
      if (state.failNext > 0) {
        state.failNext -= 1;
        throw Object.assign(new Error('Broker not connected'), { name: 'KafkaJSConnectionError' });
      }
    },
    backingOff: (d) => backoffs.push(d),
    assignedKeys: () => [...progress.keys()],
    progress,
    fromBeginning: false,
    partitionName: (k) => `topic ${k}`,
  });
  return { sup, crashes, backoffs, state, progress };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('ConsumerSupervisor', () => {
  it('a crash the client restarts from is only told; one it does not is replaced after a backoff that grows while replacing fails', async () => {
    const { sup, crashes, backoffs, state } = supervised();
    sup.crash('boom', true);
    expect(crashes).toEqual(['boom']);
    await jest.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    expect(state.replaced).toBe(0);

    state.failNext = 4;
    sup.crash('gone', false);
    await jest.advanceTimersByTimeAsync(BACKOFF_FIRST_MS - 1);
    expect(state.replaced).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(state.replaced).toBe(1);
    await jest.advanceTimersByTimeAsync(2 * BACKOFF_FIRST_MS + 4 * BACKOFF_FIRST_MS + 8 * BACKOFF_FIRST_MS + BACKOFF_MAX_MS);
    expect(backoffs).toEqual([1000, 2000, 4000, 8000, 15_000]);
    expect(crashes.slice(2)).toEqual(Array(4).fill('KafkaJSConnectionError: Broker not connected'));
    expect(state.replaced).toBe(5); // the fifth attempt started a member

    // A recovery starts the backoff over.
    await jest.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    sup.recovered();
    state.failNext = 0;
    sup.crash('again', false);
    expect(backoffs[backoffs.length - 1]).toBe(BACKOFF_FIRST_MS);
  });

  it('nothing is replaced once the consumer is stopped or killed', async () => {
    const { sup, state } = supervised();
    sup.crash('gone', false);
    sup.cancel();
    await jest.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    expect(state.replaced).toBe(0);
    state.alive = false;
    sup.crash('gone', false);
    await jest.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    expect(state.replaced).toBe(0);
  });

  it('replaces a consumer silent for longer than the threshold, and not one that shows signs of life', async () => {
    const { sup, crashes, state } = supervised();
    const t0 = Date.now();
    expect(sup.checkStalled(t0 + 15_000, 15_000)).toBe(false);
    sup.touch(t0 + 10_000);
    expect(sup.checkStalled(t0 + 25_000, 15_000)).toBe(false);
    expect(sup.checkStalled(t0 + 25_001, 15_000)).toBe(true);
    expect(crashes).toEqual(['it showed no sign of life (no fetch or heartbeat) for 15 s']);
    await jest.advanceTimersByTimeAsync(0);
    expect(state.replaced).toBe(1);
  });

  it('replaces a running consumer that reads nothing from a partition where messages wait', async () => {
    const { sup, crashes, state, progress } = supervised();
    const now = Date.now();
    progress.set('t:0', { next: 5n, since: now - 30_000 });
    progress.set('t:1', { next: 9n, since: now - 30_000 });
    const ends = new Map([['t:0', { earliest: '0', latest: '5' }], ['t:1', { earliest: '0', latest: '12' }]]);
    state.running = false;
    expect(sup.checkProgress(ends, new Map(), now, 20_000)).toBe(false);
    state.running = true;
    expect(sup.checkProgress(ends, new Map(), now, 20_000)).toBe(true);
    expect(crashes).toEqual(['it read nothing from topic t:1 for 20 s although unread messages wait there']);
    await jest.advanceTimersByTimeAsync(0);
    expect(state.replaced).toBe(1);
  });
});

describe('ConsumerSupervisor.unknownPositions', () => {
  it('names the assigned partitions with messages that this consumer has not read from yet', () => {
    const { sup, progress } = supervised();
    progress.set('t:0', { next: null, since: 0 });
    progress.set('t:1', { next: 3n, since: 0 });
    progress.set('t:2', { next: null, since: 0 });
    const ends = new Map([
      ['t:0', { earliest: '0', latest: '4' }],
      ['t:1', { earliest: '0', latest: '9' }],
      ['t:2', { earliest: '5', latest: '5' }], // empty
    ]);
    expect(sup.unknownPositions(ends)).toEqual(['t:0']);
  });
});
