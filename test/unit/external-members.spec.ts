import { ExternalMembers, externalConsumerId, ObservedGroup, ObservedMember, Publication } from '../../src/consumers/external-members';
import type { CheckpointId } from '../../src/grading/checkpoints';
import type { LabEvent } from '../../src/timeline/events';
import { Timeline } from './grading-timeline';

const ALICE = 'alice1';
const n = Timeline.name;
const T = n(ALICE, 'orders');
const G = n(ALICE, 'workers');

/** kcat -G as DescribeGroups shows it. */
function kcat(memberId: string, assignment: Record<string, number[]>, topics = [T]): ObservedMember {
  return { memberId, clientId: 'rdkafka', clientHost: '/127.0.0.1', topics, assignment: Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })), ours: false };
}

function commits(offsets: Record<number, number | null>, topic = T): ObservedGroup['committed'] {
  return Object.entries(offsets).map(([p, o]) => ({ topic, partition: Number(p), offset: o === null ? null : String(o) }));
}

const earliestZero = async () => 0n;

/** The events as type and consumer, for order checks. */
const story = (list: Publication[]) => list.map((p) => `${p.event.type} ${(p.event as { consumerId?: string }).consumerId ?? ''}`.trim());

describe('ExternalMembers: what the server sees of kcat -G members', () => {
  const A = externalConsumerId('rdkafka-a');
  const B = externalConsumerId('rdkafka-b');

  it('a member that appears starts, with its client and host, then is assigned; the same look again says nothing', async () => {
    const x = new ExternalMembers();
    const look = { groupId: G, members: [kcat('rdkafka-a', { [T]: [0, 1] })], committed: commits({ 0: null, 1: null }) };
    const out = await x.observe(look, true, earliestZero);
    expect(A).toMatch(/^x-[0-9a-f]{8}$/);
    expect(out).toEqual([
      {
        event: { type: 'consumer.started', actor: ALICE, consumerId: A, groupId: G, protocol: 'classic', topics: [T], external: true, clientId: 'rdkafka', clientHost: '127.0.0.1' },
        scope: { owner: ALICE, consumerId: A, groupId: G, topic: T },
      },
      {
        event: { type: 'group.rebalanced', actor: 'kafka', groupId: G, consumerId: A, memberId: 'rdkafka-a', generation: null, protocol: 'classic', assigned: [{ topic: T, partitions: [0, 1] }], revoked: [], owned: [{ topic: T, partitions: [0, 1] }], external: true },
        scope: { owner: ALICE, consumerId: A, groupId: G, topic: T },
      },
    ]);
    expect(await x.observe(look, false, earliestZero)).toEqual([]);
    expect(x.hasExternals(G)).toBe(true);
  });

  it('counts what the group committed on its partitions: from the first offset at the first commit, then from the previous commit', async () => {
    const x = new ExternalMembers();
    const members = [kcat('rdkafka-a', { [T]: [0, 1] })];
    await x.observe({ groupId: G, members, committed: commits({ 0: null, 1: null }) }, true, earliestZero);
    const first = await x.observe({ groupId: G, members, committed: commits({ 0: 5, 1: null }) }, false, async () => 2n);
    expect(first).toEqual([
      {
        event: { type: 'messages.consumed', actor: 'kafka', consumerId: A, groupId: G, topic: T, count: 3, offsets: { '0': [['2', '4']] }, external: true },
        scope: { owner: ALICE, consumerId: A, groupId: G, topic: T },
      },
    ]);
    const next = await x.observe({ groupId: G, members, committed: commits({ 0: 9, 1: 1 }) }, false, earliestZero);
    expect(next.map((p) => p.event)).toEqual([
      { type: 'messages.consumed', actor: 'kafka', consumerId: A, groupId: G, topic: T, count: 5, offsets: { '0': [['5', '8']], '1': [['0', '0']] }, external: true },
    ]);
    // Nothing moved: nothing said.
    expect(await x.observe({ groupId: G, members, committed: commits({ 0: 9, 1: 1 }) }, false, earliestZero)).toEqual([]);
  });

  it('takes the commits of a group that was there before the watcher as they are (nobody can tell who made them)', async () => {
    const x = new ExternalMembers();
    const members = [kcat('rdkafka-a', { [T]: [0] })];
    const out = await x.observe({ groupId: G, members, committed: commits({ 0: 40 }) }, false, earliestZero);
    expect(story(out)).toEqual([`consumer.started ${A}`, `group.rebalanced ${A}`]);
    const later = await x.observe({ groupId: G, members, committed: commits({ 0: 42 }) }, false, earliestZero);
    expect(later.map((p) => p.event)).toMatchObject([{ type: 'messages.consumed', offsets: { '0': [['40', '41']] } }]);
  });

  it('ignores groups of the server own consumers and their commits', async () => {
    const x = new ExternalMembers();
    const ours: ObservedMember = { ...kcat('klab-m', { [T]: [0] }), clientId: 'klab-c1', ours: true };
    expect(x.offsetTopics(G, [ours])).toEqual([]);
    expect(await x.observe({ groupId: G, members: [ours], committed: null }, true, earliestZero)).toEqual([]);
    expect(x.hasExternals(G)).toBe(false);
  });

  it('a second member: what was read before the move is the old holder\'s, the loser is told before the newcomer', async () => {
    const x = new ExternalMembers();
    await x.observe({ groupId: G, members: [kcat('rdkafka-a', { [T]: [0, 1] })], committed: commits({ 0: null, 1: null }) }, true, earliestZero);
    const out = await x.observe(
      { groupId: G, members: [kcat('rdkafka-a', { [T]: [0] }), kcat('rdkafka-b', { [T]: [1] })], committed: commits({ 0: 3, 1: 2 }) },
      false,
      earliestZero,
    );
    expect(story(out)).toEqual([`messages.consumed ${A}`, `group.rebalanced ${A}`, `consumer.started ${B}`, `group.rebalanced ${B}`]);
    expect(out[0].event).toMatchObject({ offsets: { '0': [['0', '2']], '1': [['0', '1']] } });
    expect(out[1].event).toMatchObject({ assigned: [], revoked: [{ topic: T, partitions: [1] }], owned: [{ topic: T, partitions: [0] }] });
    // Then B's own reading of partition 1 is B's.
    const b = await x.observe({ groupId: G, members: [kcat('rdkafka-a', { [T]: [0] }), kcat('rdkafka-b', { [T]: [1] })], committed: commits({ 0: 3, 1: 6 }) }, false, earliestZero);
    expect(b.map((p) => p.event)).toMatchObject([{ type: 'messages.consumed', consumerId: B, offsets: { '1': [['2', '5']] } }]);
  });

  it('a member that leaves: its last commits, then its partitions revoked, then it stops; a gone group stops the rest', async () => {
    const x = new ExternalMembers();
    const both = [kcat('rdkafka-a', { [T]: [0] }), kcat('rdkafka-b', { [T]: [1] })];
    await x.observe({ groupId: G, members: both, committed: commits({ 0: null, 1: null }) }, true, earliestZero);
    const out = await x.observe({ groupId: G, members: [kcat('rdkafka-b', { [T]: [0, 1] })], committed: commits({ 0: 4, 1: null }) }, false, earliestZero);
    expect(story(out)).toEqual([`messages.consumed ${A}`, `group.rebalanced ${A}`, `consumer.stopped ${A}`, `group.rebalanced ${B}`]);
    expect(out[2].event).toEqual({ type: 'consumer.stopped', actor: ALICE, consumerId: A, groupId: G, external: true, clientId: 'rdkafka', clientHost: '127.0.0.1' });
    expect(out[3].event).toMatchObject({ assigned: [{ topic: T, partitions: [0] }], revoked: [] });
    expect(story(x.forget(G))).toEqual([`consumer.stopped ${B}`]);
    expect(x.hasExternals(G)).toBe(false);
  });

  it('after a restart takes up the members the stored timeline has: no second start, a gone one stops', async () => {
    const before = new ExternalMembers();
    const both = [kcat('rdkafka-a', { [T]: [0] }), kcat('rdkafka-b', { [T]: [1] })];
    const stored = [
      ...(await before.observe({ groupId: G, members: [kcat('rdkafka-a', { [T]: [0, 1] })], committed: null }, true, earliestZero)),
      ...(await before.observe({ groupId: G, members: both, committed: commits({ 0: 2, 1: 2 }) }, false, earliestZero)),
    ].map((p, i) => ({ seq: i + 1, time: '2026-12-02T12:00:00.000Z', ...p.event }) as LabEvent);
    const after = new ExternalMembers();
    for (const ev of stored) after.restore(ev);
    expect(after.hasExternals(G)).toBe(true);
    // Both still there: nothing to say; the commits are taken as they are.
    expect(await after.observe({ groupId: G, members: both, committed: commits({ 0: 5, 1: 5 }) }, false, earliestZero)).toEqual([]);
    const gone = await after.observe({ groupId: G, members: [kcat('rdkafka-b', { [T]: [0, 1] })], committed: commits({ 0: 6, 1: 5 }) }, false, earliestZero);
    expect(story(gone)).toEqual([`messages.consumed ${A}`, `group.rebalanced ${A}`, `consumer.stopped ${A}`, `group.rebalanced ${B}`]);
  });

  it('the instructor\'s groups are the instructor\'s', async () => {
    const x = new ExternalMembers();
    const out = await x.observe({ groupId: 'audit', members: [kcat('rdkafka-a', { orders: [0] }, ['orders'])], committed: null }, true, earliestZero);
    expect(out[0]).toMatchObject({ event: { actor: 'instructor', groupId: 'audit' }, scope: { owner: 'instructor', groupId: 'audit', topic: 'orders' } });
  });
});

describe('grading counts kcat -G members like the student\'s own consumers', () => {
  /** Looks in order, their events on a timeline, then graded. */
  async function grade(tl: Timeline, x: ExternalMembers, looks: ObservedGroup[]): Promise<CheckpointId[]> {
    for (const look of looks) for (const p of await x.observe(look, true, earliestZero)) tl.publish(p.event, p.scope);
    return [...tl.grade().engine.passed(ALICE).keys()];
  }

  it('load-sharing: two kcat members of one group read different partitions of the topic', async () => {
    const tl = new Timeline();
    tl.topicCreated(ALICE, T, 2, 1);
    tl.produced(ALICE, T, { 0: [[0, 4]], 1: [[0, 4]] });
    const x = new ExternalMembers();
    const two = [kcat('rdkafka-a', { [T]: [0] }), kcat('rdkafka-b', { [T]: [1] })];
    const passed = await grade(tl, x, [
      { groupId: G, members: two, committed: commits({ 0: null, 1: null }) },
      { groupId: G, members: two, committed: commits({ 0: 5, 1: 5 }) },
    ]);
    expect(passed).toContain('load-sharing');
  });

  it('consumer-failover: one kcat leaves holding a partition, the other, running since before, takes it and reads from it', async () => {
    const tl = new Timeline();
    tl.topicCreated(ALICE, T, 2, 1);
    const x = new ExternalMembers();
    const two = [kcat('rdkafka-a', { [T]: [0] }), kcat('rdkafka-b', { [T]: [1] })];
    const survivor = [kcat('rdkafka-b', { [T]: [0, 1] })];
    const passed = await grade(tl, x, [
      { groupId: G, members: two, committed: commits({ 0: null, 1: null }) },
      { groupId: G, members: two, committed: commits({ 0: 3, 1: 3 }) },
      { groupId: G, members: survivor, committed: commits({ 0: 3, 1: 3 }) },
      { groupId: G, members: survivor, committed: commits({ 0: 6, 1: 4 }) },
    ]);
    expect(passed).toEqual(expect.arrayContaining(['load-sharing', 'consumer-failover']));
    const pass = tl.grade().engine.passed(ALICE).get('consumer-failover')!;
    expect(pass.evidence.consumers).toEqual([externalConsumerId('rdkafka-a'), externalConsumerId('rdkafka-b')]);
  });

  it('pub-sub: kcat members of two groups both read the same offsets', async () => {
    const tl = new Timeline();
    tl.topicCreated(ALICE, T, 1, 1);
    const x = new ExternalMembers();
    const G2 = n(ALICE, 'audit');
    const passed = await grade(tl, x, [
      { groupId: G, members: [kcat('rdkafka-a', { [T]: [0] })], committed: commits({ 0: null }) },
      { groupId: G2, members: [kcat('rdkafka-b', { [T]: [0] })], committed: commits({ 0: null }) },
      { groupId: G, members: [kcat('rdkafka-a', { [T]: [0] })], committed: commits({ 0: 4 }) },
      { groupId: G2, members: [kcat('rdkafka-b', { [T]: [0] })], committed: commits({ 0: 2 }) },
    ]);
    expect(passed).toContain('pub-sub');
  });

  it('a kcat member and one of the student\'s API consumers share a group for load-sharing too', async () => {
    const tl = new Timeline();
    tl.topicCreated(ALICE, T, 2, 1);
    tl.started(ALICE, 'c-api', G, [T]);
    tl.rebalanced('c-api', { [T]: [1] });
    const x = new ExternalMembers();
    const mixed = [kcat('rdkafka-a', { [T]: [0] }), { ...kcat('klab-m', { [T]: [1] }), clientId: 'klab-c-api', ours: true }];
    await grade(tl, x, [{ groupId: G, members: mixed, committed: commits({ 0: null, 1: null }) }]);
    tl.consumed('c-api', T, { 1: [[0, 2]] });
    const passed = await grade(tl, x, [{ groupId: G, members: mixed, committed: commits({ 0: 3, 1: 3 }) }]);
    expect(passed).toContain('load-sharing');
  });
});
