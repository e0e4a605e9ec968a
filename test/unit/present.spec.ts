import { notFoundSentence, presentEvent, presentSentence } from '../../src/class/present';
import type { Principal } from '../../src/class/principal';
import type { LabEvent } from '../../src/timeline/events';

const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };
const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };

const head = { seq: 7, time: '2026-12-02T08:00:00.000Z' };

describe('presentEvent: an event as its viewer names things', () => {
  const rebalanced: LabEvent = {
    ...head,
    type: 'group.rebalanced',
    actor: 'kafka',
    groupId: 's-abc123.test-group',
    consumerId: 'c1',
    memberId: 'm1',
    generation: 3,
    protocol: 'classic',
    assigned: [{ topic: 's-abc123.lab-a', partitions: [2] }, { topic: 'shared', partitions: [0] }],
    revoked: [],
    owned: [{ topic: 's-abc123.lab-a', partitions: [2] }],
  };

  it('gives a student their group and topics without the prefix, shared topics as they are', () => {
    expect(presentEvent(ada, rebalanced)).toEqual({
      ...rebalanced,
      groupId: 'test-group',
      assigned: [{ topic: 'lab-a', partitions: [2] }, { topic: 'shared', partitions: [0] }],
      owned: [{ topic: 'lab-a', partitions: [2] }],
    });
  });

  it('gives the instructor the stored event itself, with the cluster\'s names', () => {
    expect(presentEvent(instructor, rebalanced)).toBe(rebalanced);
  });

  it('never changes the stored event (it is shared by every viewer)', () => {
    const copy = JSON.parse(JSON.stringify(rebalanced));
    presentEvent(ada, rebalanced);
    expect(rebalanced).toEqual(copy);
  });

  it('renames topic events, produce events and share events', () => {
    const created: LabEvent = { ...head, type: 'topic.created', actor: 'abc123', topic: 's-abc123.lab-a', partitions: 3, replicationFactor: 3 };
    expect(presentEvent(ada, created)).toMatchObject({ topic: 'lab-a', partitions: 3 });
    const produced: LabEvent = { ...head, type: 'messages.produced', actor: 'abc123', topic: 's-abc123.lab-a', count: 2, partitions: { 0: 2 } };
    expect(presentEvent(ada, produced)).toMatchObject({ topic: 'lab-a', count: 2 });
    const archived: LabEvent = { ...head, type: 'share.archived', actor: 'kafka', groupId: 's-abc123.w', topic: 'jobs', partition: 0, offset: '4', why: 'rejected' };
    expect(presentEvent(ada, archived)).toMatchObject({ groupId: 'w', topic: 'jobs' });
  });

  it('renames the topics a consumer.started says it reads, and the evidence of a checkpoint passed', () => {
    const started: LabEvent = { ...head, type: 'consumer.started', actor: 'abc123', consumerId: 'c1', groupId: 's-abc123.g', protocol: 'classic', topics: ['s-abc123.lab-a', 'shared'], fromBeginning: true };
    expect(presentEvent(ada, started)).toMatchObject({ groupId: 'g', topics: ['lab-a', 'shared'] });
    expect(presentEvent(instructor, started)).toBe(started);
    const passed: LabEvent = {
      ...head, type: 'checkpoint.passed', actor: 'system', studentId: 'abc123', checkpoint: 'pub-sub',
      evidence: { summary: 'c1 and c2 both got s-abc123.lab-a partition 0 offset 4.', events: [3], consumers: ['c1', 'c2'], topics: ['s-abc123.lab-a'], groups: ['s-abc123.g'], messages: [{ consumerId: 'c1', topic: 's-abc123.lab-a', partition: 0, offset: '4' }] },
    };
    expect(JSON.stringify(presentEvent(ada, passed))).not.toContain('s-abc123.');
    expect(presentEvent(ada, passed)).toMatchObject({ evidence: { summary: 'c1 and c2 both got lab-a partition 0 offset 4.', topics: ['lab-a'], groups: ['g'] } });
  });

  it('takes the student\'s prefix out of a crash\'s reason and a redelivery\'s why', () => {
    const crashed: LabEvent = { ...head, type: 'consumer.crashed', actor: 'kafka', consumerId: 'c1', groupId: 's-abc123.g', reason: 'This server is not the leader for s-abc123.lab-a-0' };
    expect(presentEvent(ada, crashed)).toMatchObject({ groupId: 'g', reason: 'This server is not the leader for lab-a-0' });
  });

  it('returns an event without names of the student\'s as it is (no copy per viewer)', () => {
    const node: LabEvent = { ...head, type: 'node.killed', actor: 'instructor', nodeId: 1, role: 'broker' };
    expect(presentEvent(ada, node)).toBe(node);
    const shared: LabEvent = { ...head, type: 'partition.leader-changed', actor: 'kafka', topic: 'shared', partition: 0, from: 1, to: 2 };
    expect(presentEvent(ada, shared)).toBe(shared);
  });
});

describe('presentSentence and notFoundSentence', () => {
  it('takes a student\'s own prefix out of a sentence (Kafka\'s words name the cluster\'s topic)', () => {
    expect(presentSentence(ada, "Topic 's-abc123.lab-a' already exists.")).toBe("Topic 'lab-a' already exists.");
    expect(presentSentence(instructor, "Topic 's-abc123.lab-a' already exists.")).toBe("Topic 's-abc123.lab-a' already exists.");
    expect(presentSentence(undefined, 'Nobody signed in.')).toBe('Nobody signed in.');
  });

  it('says not found the same way for every kind the REST routes and the socket refuse', () => {
    expect(notFoundSentence('topic', 'lab-a')).toBe('Topic lab-a does not exist.');
    expect(notFoundSentence('group', 'g')).toBe('There is no consumer group g.');
    expect(notFoundSentence('consumer', 'c1')).toBe('There is no consumer c1.');
  });
});
