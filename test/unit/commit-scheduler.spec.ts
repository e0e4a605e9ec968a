import { COMMIT_DELAY_MS, COMMIT_RETRY_MS, CommitScheduler } from '../../src/consumers/commit-scheduler';

function scheduler() {
  const positions = new Map<string, bigint>();
  const commits: Array<{ who: unknown; offsets: Array<{ topic: string; partition: number; offset: string }> }> = [];
  const answer = { code: 0, fail: false };
  const life = { alive: true };
  const c = new CommitScheduler({
    groupId: 'g',
    heartbeatIntervalMs: 600,
    commit: async (who, offsets) => {
      commits.push({ who, offsets });
      if (answer.fail) throw new Error('no answer');
      return new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, answer.code]));
    },
    positions: () => [...positions].map(([k, next]) => ({ topic: k.split(':')[0], partition: Number(k.split(':')[1]), next })),
    isAlive: () => life.alive,
  });
  return { c, positions, commits, answer, life };
}

/** Lets `ms` pass on the fake clock, with the promises that timers start settled. */
const pass = (ms: number) => jest.advanceTimersByTimeAsync(ms);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('CommitScheduler', () => {
  it('commits nothing before the generation is known, then what was kept, as that member and generation', async () => {
    const { c, positions, commits } = scheduler();
    positions.set('t:0', 4n);
    c.delivered();
    await pass(COMMIT_DELAY_MS);
    expect(commits).toHaveLength(0);
    c.generation({ memberId: 'm1', generation: 3 }, true);
    await pass(0);
    expect(commits).toEqual([{ who: { groupId: 'g', memberId: 'm1', generation: 3 }, offsets: [{ topic: 't', partition: 0, offset: '4' }] }]);
  });

  it('commits COMMIT_DELAY_MS after a delivery, once for several, and only what moved since the last commit', async () => {
    const { c, positions, commits } = scheduler();
    c.generation({ memberId: 'm1', generation: 1 }, false);
    c.heartbeat();
    positions.set('t:0', 10n).set('t:1', 3n);
    c.delivered();
    await pass(100);
    c.delivered();
    await pass(COMMIT_DELAY_MS - 101);
    expect(commits).toHaveLength(0);
    await pass(1);
    expect(commits).toHaveLength(1);
    positions.set('t:1', 5n);
    c.delivered();
    await pass(COMMIT_DELAY_MS);
    expect(commits[1].offsets).toEqual([{ topic: 't', partition: 1, offset: '5' }]);
    c.delivered(); // nothing moved
    await pass(COMMIT_DELAY_MS);
    expect(commits).toHaveLength(2);
  });

  it('commits with the delivery when a heartbeat is due (it may learn of a rebalance)', async () => {
    const { c, positions, commits } = scheduler();
    c.generation({ memberId: 'm1', generation: 1 }, false);
    c.heartbeat();
    positions.set('t:0', 1n);
    await pass(600);
    c.delivered();
    await pass(0);
    expect(commits).toHaveLength(1);
  });

  it('commits at once on REBALANCING and before a leave', async () => {
    const { c, positions, commits } = scheduler();
    c.generation({ memberId: 'm1', generation: 1 }, false);
    c.heartbeat();
    positions.set('t:0', 1n);
    c.rebalancing();
    await pass(0);
    expect(commits).toHaveLength(1);
    positions.set('t:0', 2n);
    c.delivered();
    await c.beforeLeave(5000);
    expect(commits).toHaveLength(2);
    await pass(COMMIT_DELAY_MS * 2); // the delivery's timer was cancelled by the leave
    expect(commits).toHaveLength(2);
  });

  it('retries a refused or unanswered commit, but not once the member is gone; a cancel drops the pending one', async () => {
    const { c, positions, commits, answer, life } = scheduler();
    c.generation({ memberId: 'm1', generation: 1 }, false);
    c.heartbeat();
    positions.set('t:0', 7n);
    answer.code = 27; // REBALANCE_IN_PROGRESS
    c.rebalancing();
    await pass(0);
    answer.code = 0;
    await pass(COMMIT_RETRY_MS);
    expect(commits).toHaveLength(2);

    positions.set('t:0', 8n);
    answer.fail = true;
    c.rebalancing();
    await pass(0);
    life.alive = false; // killed: no retry
    await pass(COMMIT_RETRY_MS * 3);
    expect(commits).toHaveLength(3);

    life.alive = true;
    c.heartbeat();
    c.delivered();
    c.cancel();
    await pass(COMMIT_DELAY_MS * 2);
    expect(commits).toHaveLength(3);
  });

  it('a join waits for its generation and forgets the commits of partitions it no longer has', async () => {
    const { c, positions, commits } = scheduler();
    c.generation({ memberId: 'm1', generation: 1 }, false);
    c.heartbeat();
    positions.set('t:0', 5n).set('t:1', 5n);
    c.rebalancing();
    await pass(0);
    c.joining(['t:0']);
    positions.delete('t:1');
    c.rebalancing();
    await pass(0);
    expect(commits).toHaveLength(1); // no member yet
    c.generation({ memberId: 'm1', generation: 2 }, true);
    await pass(0);
    expect(commits).toHaveLength(1); // t:0 at 5 was committed already
    c.joining(['t:0', 't:1']);
    positions.set('t:1', 5n);
    c.generation({ memberId: 'm1', generation: 3 }, true);
    await pass(0);
    expect(commits[1]).toEqual({ who: { groupId: 'g', memberId: 'm1', generation: 3 }, offsets: [{ topic: 't', partition: 1, offset: '5' }] });
  });
});
