import { GENERATION_WAIT_MS, MemberGeneration, RebalanceStory } from '../../src/consumers/rebalance-story';

function story() {
  const told: Array<{ memberId: string | null; generation: number | null; assigned: unknown; revoked: unknown }> = [];
  const generations: Array<{ member: MemberGeneration; afterJoin: boolean }> = [];
  const s = new RebalanceStory({
    rebalanced: (memberId, generation, assigned, revoked) => told.push({ memberId, generation, assigned, revoked }),
    generation: (member, afterJoin) => generations.push({ member, afterJoin }),
  });
  return { s, told, generations };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('RebalanceStory', () => {
  it('tells a join at once when its generation came with it, eagerly: everything held revoked, the whole new set assigned', () => {
    const { s, told, generations } = story();
    s.joined('m1', { t: [2, 0, 1] }, 4);
    expect(told).toEqual([{ memberId: 'm1', generation: 4, assigned: [{ topic: 't', partitions: [0, 1, 2] }], revoked: [] }]);
    expect(generations).toEqual([{ member: { memberId: 'm1', generation: 4 }, afterJoin: true }]);
    s.joined('m1', { t: [0], u: [3] }, 5);
    expect(told[1]).toEqual({ memberId: 'm1', generation: 5, assigned: [{ topic: 't', partitions: [0] }, { topic: 'u', partitions: [3] }], revoked: [{ topic: 't', partitions: [0, 1, 2] }] });
  });

  it('waits for the heartbeat that tells the generation, and tells the join without one after GENERATION_WAIT_MS', () => {
    const { s, told } = story();
    s.joined('m1', { t: [0] }, null);
    s.heartbeat('other-member', 9); // not ours: no effect
    expect(told).toHaveLength(0);
    s.heartbeat('m1', 3);
    expect(told).toEqual([expect.objectContaining({ generation: 3 })]);

    s.joined('m1', { t: [0, 1] }, null);
    jest.advanceTimersByTime(GENERATION_WAIT_MS - 1);
    expect(told).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(told[1]).toEqual({ memberId: 'm1', generation: null, assigned: [{ topic: 't', partitions: [0, 1] }], revoked: [{ topic: 't', partitions: [0] }] });
  });

  it('a heartbeat outside a join only says which generation to commit as', () => {
    const { s, told, generations } = story();
    s.joined('m1', { t: [0] }, 2);
    s.heartbeat('m1', 2);
    expect(told).toHaveLength(1);
    expect(generations[1]).toEqual({ member: { memberId: 'm1', generation: 2 }, afterJoin: false });
  });

  it('a pending join is told (without generation) before the next join is taken', () => {
    const { s, told } = story();
    s.joined('m1', { t: [0, 1] }, null);
    s.joined('m1', { t: [1] }, 6);
    expect(told.map((e) => [e.generation, e.assigned, e.revoked])).toEqual([
      [null, [{ topic: 't', partitions: [0, 1] }], []],
      [6, [{ topic: 't', partitions: [1] }], [{ topic: 't', partitions: [0, 1] }]],
    ]);
  });

  it('gates between REBALANCING and the next join, and opens again for a new member', () => {
    const { s } = story();
    expect(s.open).toBe(true);
    s.rebalancing();
    expect(s.open).toBe(false);
    s.joined('m1', { t: [0] }, 1);
    expect(s.open).toBe(true);
    s.rebalancing();
    s.restart();
    expect(s.open).toBe(true);
  });

  it('keeps what was shown of partitions kept through a rejoin (skip-after-rejoin) and forgets the others', () => {
    const { s } = story();
    s.joined('m1', { t: [0, 1] }, 1);
    s.shown('t:0', 5n);
    s.shown('t:1', 9n);
    expect(s.positions()).toEqual([{ topic: 't', partition: 0, next: 5n }, { topic: 't', partition: 1, next: 9n }]);
    s.joined('m1', { t: [0, 2] }, 2);
    expect(s.shownUpTo('t:0')).toBe(5n);
    expect(s.shownUpTo('t:1')).toBeNull();
    expect(s.shownUpTo('t:2')).toBeNull();
    expect(s.assignedKeys()).toEqual(['t:0', 't:2']);
    expect(s.positions()).toEqual([{ topic: 't', partition: 0, next: 5n }]);
  });

  it('revokes everything once when the member is gone, with its last generation', () => {
    const { s, told } = story();
    s.joined('m1', { t: [1, 3] }, 7);
    s.revokeAll();
    s.revokeAll();
    expect(told[1]).toEqual({ memberId: 'm1', generation: 7, assigned: [], revoked: [{ topic: 't', partitions: [1, 3] }] });
    expect(told).toHaveLength(2);
    expect(s.assignment).toEqual([]);
  });
});
