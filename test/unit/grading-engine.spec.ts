import { GradingEngine } from '../../src/grading/engine/grading-engine';
import type { CheckpointId } from '../../src/grading/checkpoints';
import { Timeline } from './grading-timeline';

const ALICE = 'alice1';
const BOB = 'bobby2';
const n = Timeline.name;

/** The checkpoints a student passed, in CHECKPOINTS order. */
function passedBy(tl: Timeline, student: string): CheckpointId[] {
  return [...tl.grade().engine.passed(student).keys()];
}

describe('grading engine: replicated-topic', () => {
  it('passes on a student topic with replication factor 3 and 3 partitions, with the topic.created as evidence', () => {
    const tl = new Timeline();
    tl.topicCreated(ALICE, n(ALICE, 'small'), 3, 2);
    tl.topicCreated(ALICE, n(ALICE, 'thin'), 2, 3);
    const created = tl.topicCreated(ALICE, n(ALICE, 'orders'), 3, 3);
    const { engine, passes } = tl.grade();
    expect(passes).toEqual([
      {
        studentId: ALICE,
        checkpoint: 'replicated-topic',
        seq: created.seq,
        at: created.time,
        evidence: {
          summary: 'Topic s-alice1.orders was created with 3 partitions and replication factor 3.',
          events: [created.seq],
          consumers: [],
          messages: [],
          topics: ['s-alice1.orders'],
        },
      },
    ]);
    expect(engine.cursor).toBe(created.seq);
  });

  it('never grades the instructor, whose topics carry no owner', () => {
    const tl = new Timeline();
    tl.topicCreated('instructor', 'shared', 6, 3);
    const { engine, passes } = tl.grade();
    expect(passes).toEqual([]);
    expect(engine.passed('instructor').size).toBe(0);
  });
});

describe('grading engine: pub-sub', () => {
  it('passes when consumers in two groups received the same offset', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'news');
    const a = tl.started(ALICE, 'c-a', n(ALICE, 'g1'), [t]);
    const b = tl.started(ALICE, 'c-b', n(ALICE, 'g2'), [t]);
    tl.rebalanced('c-a', { [t]: [0] });
    tl.rebalanced('c-b', { [t]: [0] });
    const ra = tl.consumed('c-a', t, { 0: [[0, 4]] });
    const rb = tl.consumed('c-b', t, { 0: [[3, 6]] });
    const { passes } = tl.grade();
    expect(passes).toHaveLength(1);
    expect(passes[0]).toMatchObject({ studentId: ALICE, checkpoint: 'pub-sub', seq: rb.seq, at: rb.time });
    expect(passes[0].evidence).toEqual({
      summary: 'Consumers c-a (group s-alice1.g1) and c-b (group s-alice1.g2) both received topic s-alice1.news partition 0 offset 3.',
      events: [a.seq, b.seq, ra.seq, rb.seq],
      consumers: ['c-a', 'c-b'],
      messages: [
        { consumerId: 'c-a', topic: t, partition: 0, offset: '3' },
        { consumerId: 'c-b', topic: t, partition: 0, offset: '3' },
      ],
      topics: [t],
      groups: [n(ALICE, 'g1'), n(ALICE, 'g2')],
    });
  });

  it('does not pass when the same value was produced twice and each group read one copy (different offsets)', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'news');
    tl.started(ALICE, 'c-a', n(ALICE, 'g1'), [t]);
    tl.produced(ALICE, t, { 0: [[0, 0]] });
    tl.consumed('c-a', t, { 0: [[0, 0]] });
    tl.ended('c-a', 'consumer.stopped');
    tl.started(ALICE, 'c-b', n(ALICE, 'g2'), [t], 'classic', false);
    tl.produced(ALICE, t, { 0: [[1, 1]] });
    tl.consumed('c-b', t, { 0: [[1, 1]] });
    expect(passedBy(tl, ALICE)).not.toContain('pub-sub');
  });

  it('does not pass for two consumers of one group, nor for the same offset of a re-created topic', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'news');
    tl.topicCreated(ALICE, t, 1, 1);
    tl.started(ALICE, 'c-a', n(ALICE, 'g1'), [t]);
    tl.started(ALICE, 'c-b', n(ALICE, 'g1'), [t]);
    tl.consumed('c-a', t, { 0: [[0, 2]] });
    tl.consumed('c-b', t, { 0: [[0, 2]] });
    tl.topicDeleted(ALICE, t, 1, 1);
    tl.topicCreated(ALICE, t, 1, 1);
    tl.started(ALICE, 'c-c', n(ALICE, 'g2'), [t]);
    tl.consumed('c-c', t, { 0: [[0, 2]] });
    expect(passedBy(tl, ALICE)).toEqual([]);
  });

  it('never counts a second student: the same offsets of a shared topic read by each in one group are no pub-sub for either', () => {
    const tl = new Timeline();
    tl.topicCreated('instructor', 'shared', 3, 3);
    tl.produced('instructor', 'shared', { 0: [[0, 9]] });
    tl.started(ALICE, 'c-a', n(ALICE, 'g'), ['shared']);
    tl.started(BOB, 'c-b', n(BOB, 'g'), ['shared']);
    tl.consumed('c-a', 'shared', { 0: [[0, 9]] });
    tl.consumed('c-b', 'shared', { 0: [[0, 9]] });
    const { engine, passes } = tl.grade();
    expect(passes).toEqual([]);
    expect(engine.passed(ALICE).size).toBe(0);
    expect(engine.passed(BOB).size).toBe(0);
  });
});

describe('grading engine: load-sharing', () => {
  function twoMembers(tl: Timeline) {
    const t = n(ALICE, 'work');
    const g = n(ALICE, 'workers');
    const a = tl.started(ALICE, 'c-a', g, [t]);
    tl.rebalanced('c-a', { [t]: [0, 1] });
    const b = tl.started(ALICE, 'c-b', g, [t]);
    tl.rebalanced('c-a', { [t]: [0] }, { [t]: [0, 1] });
    tl.rebalanced('c-b', { [t]: [1] });
    return { t, g, a, b };
  }

  it('passes when two members running together each received messages and none the same one', () => {
    const tl = new Timeline();
    const { t, g, a, b } = twoMembers(tl);
    const ra = tl.consumed('c-a', t, { 0: [[0, 2]] });
    const rb = tl.consumed('c-b', t, { 1: [[0, 1]] });
    const { passes } = tl.grade();
    expect(passes.map((p) => [p.checkpoint, p.seq])).toEqual([['load-sharing', rb.seq]]);
    expect(passes[0].evidence).toEqual({
      summary: `Consumers c-a and c-b of group ${g} ran together and shared topic ${t}: c-a received partition 0 offsets 0–2, c-b partition 1 offsets 0–1; no message went to both.`,
      events: [a.seq, b.seq, ra.seq, rb.seq],
      consumers: ['c-a', 'c-b'],
      messages: [
        { consumerId: 'c-a', topic: t, partition: 0, offset: '0' },
        { consumerId: 'c-a', topic: t, partition: 0, offset: '1' },
        { consumerId: 'c-a', topic: t, partition: 0, offset: '2' },
        { consumerId: 'c-b', topic: t, partition: 1, offset: '0' },
        { consumerId: 'c-b', topic: t, partition: 1, offset: '1' },
      ],
      topics: [t],
      groups: [g],
    });
  });

  it('never passes with one consumer alone, however much it read', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'work');
    tl.started(ALICE, 'c-a', n(ALICE, 'workers'), [t]);
    tl.rebalanced('c-a', { [t]: [0, 1] });
    tl.consumed('c-a', t, { 0: [[0, 5]], 1: [[0, 5]] });
    tl.consumed('c-a', t, { 0: [[6, 9]] });
    expect(passedBy(tl, ALICE)).toEqual([]);
  });

  it('does not pass for two members that never ran together', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'work');
    const g = n(ALICE, 'workers');
    tl.started(ALICE, 'c-a', g, [t]);
    tl.rebalanced('c-a', { [t]: [0, 1] });
    tl.consumed('c-a', t, { 0: [[0, 5]] });
    tl.ended('c-a', 'consumer.stopped');
    tl.started(ALICE, 'c-b', g, [t]);
    tl.rebalanced('c-b', { [t]: [0, 1] });
    tl.consumed('c-b', t, { 1: [[0, 5]] });
    expect(passedBy(tl, ALICE)).toEqual([]);
  });

  it('does not pass for a hand-over on a one-partition topic: one read alone, the other got the partition once the first was idle', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'single');
    const g = n(ALICE, 'workers');
    tl.started(ALICE, 'x', g, [t]);
    tl.rebalanced('x', { [t]: [0] });
    tl.consumed('x', t, { 0: [[0, 4]] });
    tl.started(ALICE, 'y', g, [t]);
    tl.rebalanced('x', {}, { [t]: [0] });
    tl.rebalanced('y', { [t]: [0] });
    tl.consumed('y', t, { 0: [[5, 9]] });
    tl.consumed('y', t, { 0: [[10, 12]] });
    expect(passedBy(tl, ALICE)).toEqual([]);

    // Both running from the start, the partition moved from one to the other: still a hand-over.
    const tl2 = new Timeline();
    tl2.started(ALICE, 'x', g, [t]);
    tl2.started(ALICE, 'y', g, [t]);
    tl2.rebalanced('x', { [t]: [0] });
    tl2.rebalanced('y', {});
    tl2.consumed('x', t, { 0: [[0, 4]] });
    tl2.rebalanced('x', {}, { [t]: [0] });
    tl2.rebalanced('y', { [t]: [0] });
    tl2.consumed('y', t, { 0: [[5, 9]] });
    expect(passedBy(tl2, ALICE)).toEqual([]);
  });

  it('does not pass when both members received one message', () => {
    const tl = new Timeline();
    const { t } = twoMembers(tl);
    tl.consumed('c-a', t, { 0: [[0, 2]], 1: [[0, 0]] });
    tl.consumed('c-b', t, { 1: [[0, 1]] });
    tl.consumed('c-b', t, { 1: [[2, 3]] });
    expect(passedBy(tl, ALICE)).toEqual([]);
  });
});

describe('grading engine: consumer-failover', () => {
  function group(tl: Timeline, protocol: 'classic' | 'consumer') {
    const t = n(ALICE, 'orders');
    const g = n(ALICE, 'shop');
    tl.started(ALICE, 'c-a', g, [t], protocol);
    tl.started(ALICE, 'c-b', g, [t], protocol);
    tl.rebalanced('c-a', { [t]: [0] });
    tl.rebalanced('c-b', { [t]: [1] });
    tl.consumed('c-a', t, { 0: [[0, 3]] });
    tl.consumed('c-b', t, { 1: [[0, 3]] });
    return { t, g };
  }

  it('passes when a survivor is assigned the partition of a killed member and reads from it (classic: eager)', () => {
    const tl = new Timeline();
    const { t, g } = group(tl, 'classic');
    const killed = tl.ended('c-a', 'consumer.killed');
    const takeover = tl.rebalanced('c-b', { [t]: [0, 1] }, { [t]: [1] });
    tl.consumed('c-b', t, { 1: [[4, 5]] });
    const read = tl.consumed('c-b', t, { 0: [[4, 6]] });
    const { passes } = tl.grade();
    const p = passes.find((x) => x.checkpoint === 'consumer-failover');
    expect(p).toMatchObject({ studentId: ALICE, seq: read.seq, at: read.time });
    expect(p!.evidence).toMatchObject({
      summary: `Consumer c-a of group ${g} killed holding topic ${t} partition 0; consumer c-b, running since before, was assigned it and received offsets 4–6 from it.`,
      consumers: ['c-a', 'c-b'],
      messages: [4, 5, 6].map((o) => ({ consumerId: 'c-b', topic: t, partition: 0, offset: String(o) })),
      groups: [g],
    });
    expect(p!.evidence.events).toEqual(expect.arrayContaining([killed.seq, takeover.seq, read.seq]));
  });

  it('passes in a consumer-protocol group after a clean stop', () => {
    const tl = new Timeline();
    const { t } = group(tl, 'consumer');
    tl.ended('c-a', 'consumer.stopped');
    tl.rebalanced('c-b', { [t]: [0] });
    tl.consumed('c-b', t, { 0: [[4, 4]] });
    expect(passedBy(tl, ALICE)).toContain('consumer-failover');
  });

  it('passes when the survivor got the partition while the other was leaving, before its stop was stored', () => {
    const tl = new Timeline();
    const { t } = group(tl, 'classic');
    const takeover = tl.rebalanced('c-b', { [t]: [0, 1] }, { [t]: [1] });
    const stopped = tl.ended('c-a', 'consumer.stopped');
    const read = tl.consumed('c-b', t, { 0: [[4, 6]] });
    const p = tl.grade().passes.find((x) => x.checkpoint === 'consumer-failover');
    expect(p).toMatchObject({ seq: read.seq });
    expect(p!.evidence.events).toEqual(expect.arrayContaining([takeover.seq, stopped.seq, read.seq]));
  });

  it('does not pass when a member left idle by an eager rebalance stops holding nothing', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'orders');
    const g = n(ALICE, 'shop');
    tl.started(ALICE, 'x', g, [t]);
    tl.rebalanced('x', { [t]: [0] });
    tl.consumed('x', t, { 0: [[0, 3]] });
    tl.started(ALICE, 'y', g, [t]);
    // The eager rebalance of y's join: x loses p0 in a new generation and stays, idle.
    tl.rebalanced('x', {}, { [t]: [0] });
    tl.rebalanced('y', { [t]: [0] });
    tl.consumed('y', t, { 0: [[4, 5]] });
    tl.ended('x', 'consumer.stopped');
    tl.consumed('y', t, { 0: [[6, 7]] });
    expect(passedBy(tl, ALICE)).not.toContain('consumer-failover');

    // A consumer-protocol step that only revokes may keep the member's epoch: y's step and receipt
    // after it show the partition moved for another reason than x's end.
    const tl2 = new Timeline();
    tl2.started(ALICE, 'x', g, [t], 'consumer');
    tl2.rebalanced('x', { [t]: [0] });
    tl2.started(ALICE, 'y', g, [t], 'consumer');
    tl2.rebalanced('x', {}, { [t]: [0] }, true);
    tl2.rebalanced('y', { [t]: [0] });
    tl2.consumed('y', t, { 0: [[4, 5]] });
    tl2.ended('x', 'consumer.stopped');
    tl2.consumed('y', t, { 0: [[6, 7]] });
    expect(passedBy(tl2, ALICE)).not.toContain('consumer-failover');
  });

  it('does not pass for a member that joined only after the other ended, nor before the survivor read the partition', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'orders');
    const g = n(ALICE, 'shop');
    tl.started(ALICE, 'c-a', g, [t]);
    tl.rebalanced('c-a', { [t]: [0, 1] });
    tl.consumed('c-a', t, { 0: [[0, 3]] });
    tl.ended('c-a', 'consumer.crashed');
    tl.started(ALICE, 'c-b', g, [t]);
    tl.rebalanced('c-b', { [t]: [0, 1] });
    tl.consumed('c-b', t, { 0: [[4, 6]] });
    expect(passedBy(tl, ALICE)).not.toContain('consumer-failover');

    const tl2 = new Timeline();
    const { t: t2 } = group(tl2, 'classic');
    tl2.ended('c-a', 'consumer.killed');
    tl2.rebalanced('c-b', { [t2]: [0, 1] }, { [t2]: [1] });
    tl2.consumed('c-b', t2, { 1: [[4, 9]] });
    expect(passedBy(tl2, ALICE)).not.toContain('consumer-failover');
  });
});

describe('grading engine: broker-failover', () => {
  /** The instructor kills broker 2 under a shared topic; writes land on partition 0 while it is down. */
  function outage(tl: Timeline, leaderChange = true) {
    tl.topicCreated('instructor', 'events', 3, 3);
    tl.produced('instructor', 'events', { 0: [[0, 4]] });
    tl.started(ALICE, 'c-a', n(ALICE, 'readers'), ['events']);
    tl.rebalanced('c-a', { events: [0, 1, 2] });
    tl.consumed('c-a', 'events', { 0: [[0, 4]] });
    const down = tl.node('node.killed', 2);
    const leader = leaderChange ? tl.leaderChanged('events', 0, 2, 1) : null;
    const write = tl.produced('instructor', 'events', { 0: [[5, 9]] });
    tl.node('node.started', 2);
    tl.produced('instructor', 'events', { 0: [[10, 12]] });
    return { down, leader, write };
  }

  it("passes for the student whose consumer read a write made while the instructor's broker kill was on, and not for one who did nothing", () => {
    const tl = new Timeline();
    const { down, leader, write } = outage(tl);
    tl.started(BOB, 'c-b', n(BOB, 'idle'), ['events']);
    const read = tl.consumed('c-a', 'events', { 0: [[5, 12]] });
    const { engine, passes } = tl.grade();
    expect(passes.map((p) => [p.studentId, p.checkpoint, p.seq])).toEqual([[ALICE, 'broker-failover', read.seq]]);
    expect(passes[0].evidence).toMatchObject({
      summary: 'Broker 2 went down; the leader of topic events partition 0 changed; offsets 5–9 were written there meanwhile and consumer c-a received offset 5.',
      consumers: ['c-a'],
      nodes: [2],
      topics: ['events'],
    });
    expect(passes[0].evidence.events).toEqual(expect.arrayContaining([down.seq, leader!.seq, write.seq, read.seq]));
    expect(passes[0].evidence.messages.map((m) => m.offset)).toEqual(['5', '6', '7', '8', '9']);
    expect(engine.passed(BOB).size).toBe(0);
  });

  it('does not pass for a leader change of a later, unrelated outage', () => {
    const tl = new Timeline();
    outage(tl, false);
    tl.node('node.stopped', 3);
    tl.leaderChanged('events', 0, 1, 2);
    tl.node('node.started', 3);
    tl.consumed('c-a', 'events', { 0: [[5, 12]] });
    expect(passedBy(tl, ALICE)).toEqual([]);
  });

  it('passes when the receipt of the offsets written during the outage is stored before the write', () => {
    const tl = new Timeline();
    tl.topicCreated('instructor', 'events', 3, 3);
    tl.started(ALICE, 'c-a', n(ALICE, 'readers'), ['events']);
    tl.rebalanced('c-a', { events: [0, 1, 2] });
    const down = tl.node('node.killed', 2);
    const leader = tl.leaderChanged('events', 0, 2, 1);
    const read = tl.consumed('c-a', 'events', { 0: [[0, 4]] });
    const write = tl.produced('instructor', 'events', { 0: [[0, 4]] });
    tl.node('node.started', 2);
    const p = tl.grade().passes.find((x) => x.checkpoint === 'broker-failover');
    expect(p).toMatchObject({ studentId: ALICE, seq: write.seq });
    expect(p!.evidence.events).toEqual([down.seq, leader.seq, tl.events[1].ev.seq, read.seq, write.seq].sort((a, b) => a - b));
    expect(p!.evidence.messages.map((m) => m.offset)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('passes when the leader change is stored after the write and its receipt', () => {
    const tl = new Timeline();
    tl.topicCreated('instructor', 'events', 3, 3);
    tl.started(ALICE, 'c-a', n(ALICE, 'readers'), ['events']);
    tl.rebalanced('c-a', { events: [0, 1, 2] });
    const down = tl.node('node.killed', 2);
    const write = tl.produced('instructor', 'events', { 0: [[0, 4]] });
    const read = tl.consumed('c-a', 'events', { 0: [[0, 4]] });
    const leader = tl.leaderChanged('events', 0, 2, 1);
    tl.node('node.started', 2);
    tl.leaderChanged('events', 1, 2, 1);
    const p = tl.grade().passes.find((x) => x.checkpoint === 'broker-failover');
    expect(p).toMatchObject({ studentId: ALICE, seq: leader.seq });
    expect(p!.evidence.events).toEqual(expect.arrayContaining([down.seq, write.seq, read.seq, leader.seq]));

    // A leader change after the broker came back is not one of that outage.
    const tl2 = new Timeline();
    tl2.topicCreated('instructor', 'events', 3, 3);
    tl2.started(ALICE, 'c-a', n(ALICE, 'readers'), ['events']);
    tl2.rebalanced('c-a', { events: [0, 1, 2] });
    tl2.node('node.killed', 2);
    tl2.produced('instructor', 'events', { 0: [[0, 4]] });
    tl2.consumed('c-a', 'events', { 0: [[0, 4]] });
    tl2.node('node.started', 2);
    tl2.leaderChanged('events', 0, 1, 2);
    expect(passedBy(tl2, ALICE)).toEqual([]);
  });

  it("counts another student's write to a shared topic but cites only events the student can read back", () => {
    const tl = new Timeline();
    tl.topicCreated('instructor', 'events', 3, 3);
    const start = tl.started(ALICE, 'c-a', n(ALICE, 'readers'), ['events']);
    tl.rebalanced('c-a', { events: [0, 1, 2] });
    const down = tl.node('node.killed', 2);
    const leader = tl.leaderChanged('events', 0, 2, 1);
    const bobs = tl.produced(BOB, 'events', { 0: [[0, 4]] });
    const mine = tl.produced(ALICE, 'events', { 0: [[5, 6]] });
    const read = tl.consumed('c-a', 'events', { 0: [[0, 6]] });
    const p = tl.grade().passes.find((x) => x.checkpoint === 'broker-failover');
    expect(p).toMatchObject({ studentId: ALICE, seq: read.seq });
    expect(bobs.seq).toBeLessThan(mine.seq);
    expect(p!.evidence.events).toEqual([start.seq, down.seq, leader.seq, mine.seq, read.seq]);
    expect(p!.evidence.summary).toContain('offsets 0–6 were written there meanwhile');
  });

  it('does not pass without a leader change, nor for messages written before the broker went down or after it came back', () => {
    const tl = new Timeline();
    outage(tl, false);
    tl.consumed('c-a', 'events', { 0: [[5, 12]] });
    expect(passedBy(tl, ALICE)).toEqual([]);

    const tl2 = new Timeline();
    outage(tl2);
    tl2.consumed('c-a', 'events', { 0: [[10, 12]] });
    expect(passedBy(tl2, ALICE)).toEqual([]);
  });
});

describe('grading engine: no-data-loss', () => {
  function setup(tl: Timeline) {
    const t = n(ALICE, 'ledger');
    tl.topicCreated(ALICE, t, 2, 3);
    tl.produced(ALICE, t, { 0: [[0, 5]], 1: [[0, 3]] });
    const down = tl.node('node.stopped', 1);
    tl.produced(ALICE, t, { 0: [[6, 9]] });
    tl.node('node.started', 1);
    return { t, down };
  }

  it('passes when a consumer started after the failure read every offset of every partition written before it started', () => {
    const tl = new Timeline();
    const { t, down } = setup(tl);
    const start = tl.started(ALICE, 'c-r', n(ALICE, 'audit'), [t]);
    tl.produced(ALICE, t, { 1: [[4, 4]] }); // after the start: not required
    tl.consumed('c-r', t, { 0: [[0, 9]] });
    const done = tl.consumed('c-r', t, { 1: [[0, 3]] });
    const { passes } = tl.grade();
    const p = passes.find((x) => x.checkpoint === 'no-data-loss');
    expect(p).toMatchObject({ studentId: ALICE, seq: done.seq });
    expect(p!.evidence).toMatchObject({
      summary: `Broker 1 went down after topic ${t} had messages; consumer c-r, started after, received all 14 messages written to it before it started (partition 0 offsets 0–9, partition 1 offsets 0–3).`,
      consumers: ['c-r'],
      nodes: [1],
      produced: { '0': 10, '1': 4 },
      messages: [
        { consumerId: 'c-r', topic: t, partition: 0, offset: '9' },
        { consumerId: 'c-r', topic: t, partition: 1, offset: '3' },
      ],
    });
    expect(p!.evidence.events).toEqual(expect.arrayContaining([down.seq, start.seq, done.seq]));
  });

  it("counts another student's writes to a shared topic but cites only the instructor's and the student's own", () => {
    const tl = new Timeline();
    tl.topicCreated('instructor', 'shared', 1, 3);
    tl.produced(BOB, 'shared', { 0: [[0, 3]] });
    const first = tl.produced('instructor', 'shared', { 0: [[4, 5]] });
    const down = tl.node('node.stopped', 1);
    tl.produced(BOB, 'shared', { 0: [[6, 7]] });
    tl.node('node.started', 1);
    const start = tl.started(ALICE, 'c-r', n(ALICE, 'audit'), ['shared']);
    const done = tl.consumed('c-r', 'shared', { 0: [[0, 7]] });
    const p = tl.grade().passes.find((x) => x.checkpoint === 'no-data-loss');
    expect(p).toMatchObject({ studentId: ALICE, seq: done.seq });
    expect(p!.evidence.events).toEqual([first.seq, down.seq, start.seq, done.seq]);
    expect(p!.evidence.produced).toEqual({ '0': 8 });
  });

  it('fails when one offset is missing', () => {
    const tl = new Timeline();
    const { t } = setup(tl);
    tl.started(ALICE, 'c-r', n(ALICE, 'audit'), [t]);
    tl.consumed('c-r', t, { 0: [[0, 6], [8, 9]], 1: [[0, 3]] });
    expect(passedBy(tl, ALICE)).not.toContain('no-data-loss');
  });

  it('does not pass for a consumer started before the broker went down, or a topic with no messages before it', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'ledger');
    tl.topicCreated(ALICE, t, 1, 3);
    tl.started(ALICE, 'c-early', n(ALICE, 'a1'), [t]);
    tl.node('node.stopped', 1);
    tl.produced(ALICE, t, { 0: [[0, 3]] });
    tl.started(ALICE, 'c-late', n(ALICE, 'a2'), [t]);
    tl.consumed('c-early', t, { 0: [[0, 3]] });
    tl.consumed('c-late', t, { 0: [[0, 3]] });
    expect(passedBy(tl, ALICE)).not.toContain('no-data-loss');
  });
});

describe('grading engine: incremental-rebalance', () => {
  function join(tl: Timeline, protocol: 'classic' | 'consumer') {
    const t = n(ALICE, 'stream');
    const g = n(ALICE, 'inc');
    tl.started(ALICE, 'c-a', g, [t], protocol);
    tl.rebalanced('c-a', { [t]: [0, 1] });
    tl.consumed('c-a', t, { 0: [[0, 2]], 1: [[0, 2]] });
    tl.started(ALICE, 'c-b', g, [t], protocol);
    return { t, g };
  }

  it('passes when a member kept a partition through another member taking one and read from it', () => {
    const tl = new Timeline();
    const { t, g } = join(tl, 'consumer');
    tl.rebalanced('c-a', {}, { [t]: [1] });
    const move = tl.rebalanced('c-b', { [t]: [1] });
    const read = tl.consumed('c-a', t, { 0: [[3, 5]] });
    const { passes } = tl.grade();
    const p = passes.find((x) => x.checkpoint === 'incremental-rebalance');
    expect(p).toMatchObject({ studentId: ALICE, seq: read.seq });
    expect(p!.evidence).toMatchObject({
      summary: `In consumer-protocol group ${g}, consumer c-b's rebalance moved topic ${t} partition 1 while consumer c-a kept topic ${t} partition 0 and then received offsets 3–5 from it.`,
      consumers: ['c-a', 'c-b'],
      groups: [g],
    });
    expect(p!.evidence.events).toEqual(expect.arrayContaining([move.seq, read.seq]));
  });

  it('never passes in a classic group: the eager rebalance takes everything back', () => {
    const tl = new Timeline();
    const { t } = join(tl, 'classic');
    tl.rebalanced('c-a', { [t]: [0] }, { [t]: [0, 1] });
    tl.rebalanced('c-b', { [t]: [1] });
    tl.consumed('c-a', t, { 0: [[3, 5]] });
    tl.consumed('c-b', t, { 1: [[3, 5]] });
    expect(passedBy(tl, ALICE)).not.toContain('incremental-rebalance');
  });

  it('does not pass when the kept partition was revoked before the read', () => {
    const tl = new Timeline();
    const { t } = join(tl, 'consumer');
    tl.rebalanced('c-a', {}, { [t]: [1] });
    tl.rebalanced('c-b', { [t]: [1] });
    tl.rebalanced('c-a', {}, { [t]: [0] });
    // Received before the revocation, stored after it: it no longer holds partition 0.
    tl.consumed('c-a', t, { 0: [[3, 5]] });
    expect(passedBy(tl, ALICE)).not.toContain('incremental-rebalance');
  });
});

describe('grading engine: share-group', () => {
  function share(tl: Timeline) {
    const t = n(ALICE, 'jobs');
    const g = n(ALICE, 'pool');
    tl.started(ALICE, 's-1', g, [t], 'share');
    tl.started(ALICE, 's-2', g, [t], 'share');
    tl.consumed('s-1', t, { 0: [[0, 4]] });
    return { t, g };
  }

  it('passes when two share consumers got different records of a partition and a released record came back with delivery count 2', () => {
    const tl = new Timeline();
    const { t, g } = share(tl);
    tl.consumed('s-2', t, { 0: [[5, 9]] });
    const release = tl.acknowledged('s-1', t, 0, [3], 'release');
    tl.consumed('s-2', t, { 0: [[3, 3]] });
    const back = tl.redelivered('s-2', t, 0, 3, 2);
    // Two members of one group that got different records share the load as well (load-sharing passed at s-2's first receipt).
    const passes = tl.grade().passes.filter((p) => p.checkpoint === 'share-group');
    expect(passes.map((p) => p.seq)).toEqual([back.seq]);
    expect(passes[0].evidence).toMatchObject({
      summary: `In share group ${g}, consumers s-1 and s-2 got different records of topic ${t} partition 0 (offset 0 went only to s-1, offset 5 only to s-2); offset 3 of topic ${t} partition 0, released by s-1, came back to s-2 with delivery count 2.`,
      consumers: ['s-1', 's-2'],
      groups: [g],
    });
    expect(passes[0].evidence.events).toEqual(expect.arrayContaining([release.seq, back.seq]));
  });

  it('passes when the redelivery of a released record is stored just before the release (their answers race), not for one that came back for another reason', () => {
    const tl = new Timeline();
    const { t } = share(tl);
    tl.consumed('s-2', t, { 0: [[5, 9]] });
    const back = tl.redelivered('s-2', t, 0, 3, 2, 'released');
    const release = tl.acknowledged('s-1', t, 0, [3], 'release');
    const p = tl.grade().passes.find((x) => x.checkpoint === 'share-group');
    expect(p).toMatchObject({ seq: release.seq });
    expect(p!.evidence.events).toEqual(expect.arrayContaining([back.seq, release.seq]));

    const tl2 = new Timeline();
    const { t: t2 } = share(tl2);
    tl2.consumed('s-2', t2, { 0: [[5, 9]] });
    tl2.redelivered('s-2', t2, 0, 3, 2, 'lock expired');
    tl2.acknowledged('s-1', t2, 0, [3], 'release');
    expect(passedBy(tl2, ALICE)).not.toContain('share-group');
  });

  it('does not pass for a redelivery nobody released, nor for two consumers that got the same records', () => {
    const tl = new Timeline();
    const { t } = share(tl);
    tl.consumed('s-2', t, { 0: [[5, 9]] });
    tl.redelivered('s-2', t, 0, 3, 2);
    expect(passedBy(tl, ALICE)).not.toContain('share-group');

    const tl2 = new Timeline();
    const { t: t2 } = share(tl2);
    tl2.consumed('s-2', t2, { 0: [[0, 4]] });
    tl2.acknowledged('s-1', t2, 0, [3], 'release');
    tl2.redelivered('s-2', t2, 0, 3, 2);
    expect(passedBy(tl2, ALICE)).not.toContain('share-group');
  });
});

describe('grading engine: the fold', () => {
  /** A class session with something of everything, for two students. */
  function session(): Timeline {
    const tl = new Timeline();
    for (const s of [ALICE, BOB]) tl.topicCreated(s, n(s, 'orders'), 3, 3);
    tl.topicCreated('instructor', 'events', 3, 3);
    tl.produced('instructor', 'events', { 0: [[0, 9]], 1: [[0, 9]] });
    for (const s of [ALICE, BOB]) {
      tl.started(s, `${s}-x`, n(s, 'g1'), ['events']);
      tl.started(s, `${s}-y`, n(s, 'g2'), ['events']);
      tl.rebalanced(`${s}-x`, { events: [0, 1, 2] });
      tl.rebalanced(`${s}-y`, { events: [0, 1, 2] });
    }
    tl.node('node.killed', 3);
    tl.leaderChanged('events', 1, 3, 2);
    tl.produced('instructor', 'events', { 1: [[10, 14]] });
    tl.consumed(`${ALICE}-x`, 'events', { 0: [[0, 9]], 1: [[0, 14]] });
    tl.consumed(`${ALICE}-y`, 'events', { 0: [[0, 9]] });
    tl.consumed(`${BOB}-x`, 'events', { 0: [[0, 4]] });
    tl.node('node.started', 3);
    return tl;
  }

  it('gives the same passes, seqs, times and evidence to two engines fed the same events', () => {
    const tl = session();
    const one = tl.grade();
    const two = tl.grade(new GradingEngine());
    expect(one.passes.length).toBeGreaterThan(0);
    expect(two.passes).toEqual(one.passes);
    for (const s of [ALICE, BOB]) expect([...two.engine.passed(s)]).toEqual([...one.engine.passed(s)]);
    expect([...one.engine.passed(ALICE).keys()]).toEqual(['replicated-topic', 'pub-sub', 'broker-failover']);
    expect([...one.engine.passed(BOB).keys()]).toEqual(['replicated-topic']);
  });

  it('passes each checkpoint once, keeps it, skips what it applied already and ignores checkpoint.passed events', () => {
    const tl = session();
    const { engine, passes } = tl.grade();
    const before = engine.passed(ALICE).get('pub-sub');
    tl.consumed(`${ALICE}-x`, 'events', { 2: [[0, 0]] });
    tl.consumed(`${ALICE}-y`, 'events', { 2: [[0, 0]] });
    tl.publish({ type: 'checkpoint.passed', actor: 'system', studentId: BOB, checkpoint: 'pub-sub', evidence: {} }, { owner: BOB });
    const later = tl.events.slice(-3).flatMap(({ ev, scope }) => engine.apply(ev, scope));
    expect(later).toEqual([]);
    expect(engine.passed(ALICE).get('pub-sub')).toBe(before);
    expect(engine.passed(BOB).has('pub-sub')).toBe(false);
    expect(engine.cursor).toBe(tl.lastSeq);
    // Replaying from the start adds nothing: those seqs were applied.
    expect(tl.events.flatMap(({ ev, scope }) => engine.apply(ev, scope))).toEqual([]);
    expect(passes.filter((p) => p.studentId === ALICE && p.checkpoint === 'pub-sub')).toHaveLength(1);
  });

  it('starts empty', () => {
    const engine = new GradingEngine();
    expect(engine.cursor).toBe(0);
    expect(engine.passed(ALICE).size).toBe(0);
  });
});
