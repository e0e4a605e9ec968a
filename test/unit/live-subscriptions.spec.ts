import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import type { Principal } from '../../src/class/principal';
import { loadConfig } from '../../src/config/lab-config';
import { MessageRing } from '../../src/consumers/message-ring';
import type { ConsumerFeed } from '../../src/live/consumer-directory';
import type { LabSocket, SubscribeAck } from '../../src/live/live.types';
import { DEFAULT_GATEWAY_LIMITS, SocketQueue, SocketQueues } from '../../src/live/socket-queue';
import { parseSubscription } from '../../src/live/subscription';
import { FAILURE_LOG_EVERY_MS, LiveClient, REPLAY_SCAN_MAX, Subscriptions, TimelineReader } from '../../src/live/subscriptions';
import type { LabEvent } from '../../src/timeline/events';
import { LabDatabase } from '../../src/timeline/lab-database';
import { LabMessage, LiveBus } from '../../src/timeline/live-bus';
import { TimelineService } from '../../src/timeline/timeline.service';

const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };
const alice: Principal = { id: 's-alice', name: 'Alice', role: 'student' };

/** What one fake socket was sent, in order: [socket event, payload] (acks as ['ack', body]). */
type Sent = Array<[string, unknown]>;

class FakeConsumer implements ConsumerFeed {
  readonly ring = new MessageRing(50);
  lastMessageSeq = 0;
  constructor(readonly owner: string, readonly storyAfter: number) {}
  messages(after: number, limit: number) {
    return this.ring.after(after, limit);
  }
  receive(n: number, consumerId: string): LabMessage[] {
    const batch = Array.from({ length: n }, () => ({
      seq: ++this.lastMessageSeq, consumerId, topic: 'orders', partition: 0, offset: String(this.lastMessageSeq),
      key: null, value: 'v', headers: {}, timestamp: '2026-01-01T00:00:00.000Z',
    }));
    this.ring.push(batch);
    return batch;
  }
}

describe('live subscriptions: cursors, replay and no duplicates', () => {
  let dir: string;
  let db: LabDatabase;
  let bus: LiveBus;
  let timeline: TimelineService;
  let queues: SocketQueues;
  let subs: Subscriptions;
  const consumers = new Map<string, FakeConsumer>();

  beforeEach(() => {
    jest.useFakeTimers();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-live-'));
    db = new LabDatabase(loadConfig({ LAB_DATA_DIR: dir }));
    bus = new LiveBus();
    timeline = new TimelineService(db, bus);
    queues = new SocketQueues({ ...DEFAULT_GATEWAY_LIMITS, queueMax: 100 }, () => undefined);
    subs = new Subscriptions(timeline, queues, { feed: (id) => consumers.get(id) });
    bus.on('event', (ev, scope) => subs.onEvent(ev, scope));
    bus.on('messages', (id, owner, m) => subs.onMessages(id, owner, m));
    consumers.clear();
  });
  afterEach(() => {
    queues.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
    jest.useRealTimers();
  });

  function connect(who: Principal = instructor): { c: LiveClient; sent: Sent } {
    const sent: Sent = [];
    const socket = {
      id: `s${Math.random()}`,
      connected: true,
      conn: { writeBuffer: [] },
      emit: (ev: string, data: unknown) => sent.push([ev, data]),
      disconnect: () => undefined,
    } as unknown as LabSocket;
    const c = subs.client(who, new SocketQueue(socket));
    sentTo.set(c, sent);
    return { c, sent };
  }
  const sentTo = new WeakMap<LiveClient, Sent>();

  /** Subscribes as the gateway does: the ack queued behind the replay. */
  function subscribe(c: LiveClient, body: unknown): SubscribeAck {
    const res = subs.subscribe(c, body);
    queues.ack(c.queue, res, (r) => sentTo.get(c)!.push(['ack', r]));
    return res;
  }

  const flush = () => jest.advanceTimersByTime(DEFAULT_GATEWAY_LIMITS.flushEveryMs + 1);
  const seqsOf = (sent: Sent, ev: string) => sent.filter(([e]) => e === ev).map(([, d]) => (d as { seq: number }).seq);

  function story(id: string, owner = 'instructor'): { started: LabEvent; rebalanced: LabEvent } {
    consumers.set(id, new FakeConsumer(owner, timeline.lastSeq));
    const scope = { owner, consumerId: id, groupId: 'g1', topic: 'orders' };
    const started = timeline.publish({ type: 'consumer.started', actor: owner, consumerId: id, groupId: 'g1' }, scope);
    const rebalanced = timeline.publish(
      { type: 'group.rebalanced', actor: 'kafka', groupId: 'g1', consumerId: id, memberId: 'm1', generation: 1, assigned: [{ topic: 'orders', partitions: [0] }], revoked: [] },
      scope,
    );
    return { started, rebalanced };
  }

  it('gives a { consumer } subscription without a cursor its whole story and kept messages, then live, in order', () => {
    timeline.publish({ type: 'node.started', actor: 'system', nodeId: 0, role: 'broker' });
    const { started, rebalanced } = story('c1');
    const kept = consumers.get('c1')!.receive(3, 'c1');
    timeline.publish({ type: 'topic.created', actor: 'instructor', topic: 'other', partitions: 1, replicationFactor: 1 }, { topic: 'other' });

    const { c, sent } = connect();
    const ack = subscribe(c, { consumer: 'c1' });
    expect(ack).toEqual({ ok: true, seq: timeline.lastSeq, messageSeq: 3 });
    bus.emit('messages', 'c1', 'instructor', consumers.get('c1')!.receive(2, 'c1'));
    const stopped = timeline.publish({ type: 'consumer.stopped', actor: 'instructor', consumerId: 'c1', groupId: 'g1' }, { owner: 'instructor', consumerId: 'c1', groupId: 'g1' });
    flush();

    // The replay (story events, then kept messages) goes out before the ack, the live items after it.
    expect(sent.map(([e, d]) => `${e}:${(d as { seq: number }).seq}`)).toEqual([
      `event:${started.seq}`, `rebalance:${rebalanced.seq}`,
      ...kept.map((m) => `message:${m.seq}`),
      `ack:${ack.ok && ack.seq}`,
      'message:4', 'message:5', `event:${stopped.seq}`,
    ]);
  });

  it('replays exactly the stored events after a cursor, then goes on live, with nothing twice', () => {
    const early = Array.from({ length: 5 }, (_, i) => timeline.publish({ type: 'node.started', actor: 'system', nodeId: i, role: 'broker' }));
    const { c, sent } = connect();
    const ack = subscribe(c, { events: true, after: early[1].seq });
    expect(ack).toEqual({ ok: true, seq: early[4].seq });
    const live = timeline.publish({ type: 'cluster.stopped', actor: 'instructor' });
    flush();
    expect(seqsOf(sent, 'event')).toEqual([early[2].seq, early[3].seq, early[4].seq, live.seq]);

    // The same cursor in the { event } form, and a cursor at the end: nothing stored is sent again.
    const b = connect();
    expect(subscribe(b.c, { cluster: true, after: { event: live.seq } })).toEqual({ ok: true, seq: live.seq });
    flush();
    expect(seqsOf(b.sent, 'event')).toEqual([]);
  });

  it('does not replay what another subscription of the same socket already sent', () => {
    const before = timeline.publish({ type: 'topic.created', actor: 'instructor', topic: 't', partitions: 1, replicationFactor: 1 }, { topic: 't' });
    const { c, sent } = connect();
    subscribe(c, { events: true }); // live from here on
    const during = timeline.publish({ type: 'topic.deleted', actor: 'instructor', topic: 't', partitions: 1, replicationFactor: 1 }, { topic: 't' });
    // The topic subscription replays from before `before`: `before` was never sent, `during` was.
    subscribe(c, { topic: 't', after: before.seq - 1 });
    const after = timeline.publish({ type: 'topic.created', actor: 'instructor', topic: 't', partitions: 2, replicationFactor: 1 }, { topic: 't' });
    flush();
    expect(seqsOf(sent, 'event')).toEqual([during.seq, before.seq, after.seq]);

    // Subscribing again to the consumer with an older message cursor sends only what it did not send yet.
    story('c2');
    const feed = consumers.get('c2')!;
    feed.receive(4, 'c2');
    const s = connect();
    expect(subscribe(s.c, { consumer: 'c2', after: { message: 2 } })).toMatchObject({ ok: true, messageSeq: 4 });
    bus.emit('messages', 'c2', 'instructor', feed.receive(1, 'c2'));
    expect(subscribe(s.c, { consumer: 'c2', after: { event: timeline.lastSeq, message: 0 } })).toMatchObject({ ok: true, messageSeq: 5 });
    flush();
    expect(seqsOf(s.sent, 'message')).toEqual([3, 4, 5, 1, 2]);
    expect(seqsOf(s.sent, 'rebalance')).toHaveLength(1);
  });

  it('replays to a student only what the student may see', () => {
    const since = timeline.lastSeq;
    const mine = timeline.publish({ type: 'consumer.started', actor: 's-alice', consumerId: 'ca', groupId: 'ga' }, { owner: 's-alice', consumerId: 'ca' });
    timeline.publish({ type: 'consumer.started', actor: 's-bob', consumerId: 'cb', groupId: 'gb' }, { owner: 's-bob', consumerId: 'cb' });
    const shared = timeline.publish({ type: 'node.stopped', actor: 'instructor', nodeId: 1, role: 'broker' });
    const { c, sent } = connect(alice);
    subscribe(c, { events: true, after: since });
    flush();
    expect(seqsOf(sent, 'event')).toEqual([mine.seq, shared.seq]);
    consumers.set('cb', new FakeConsumer('s-bob', since));
    expect(subscribe(c, { consumer: 'cb' })).toEqual({ ok: false, error: 'There is no consumer cb.' });
  });

  it('maps a student\'s { topic } and { group } into their namespace, the shared topic when they have none, and speaks their names', () => {
    const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };
    const bob: Principal = { id: 'xyz789', name: 'Bob', role: 'student' };
    const onCluster = new Set(['s-abc123.lab-a', 's-xyz789.lab-a', 'shared']);
    const named = new Subscriptions(timeline, queues, { feed: (id) => consumers.get(id) }, { exists: (n) => onCluster.has(n) });
    bus.on('event', (ev, scope) => named.onEvent(ev, scope));
    const as = (who: Principal) => {
      const { c, sent } = connect(who);
      const client = named.client(who, c.queue);
      return { client, sent, sub: (body: unknown) => named.subscribe(client, body) };
    };
    const a = as(ada);
    const b = as(bob);
    for (const x of [a, b]) {
      expect(x.sub({ topic: 'lab-a' })).toMatchObject({ ok: true });
      expect(x.sub({ group: 'test-group' })).toMatchObject({ ok: true });
      expect(x.sub({ topic: 'shared' })).toMatchObject({ ok: true });
    }
    // Another student's names, even typed as the cluster has them, are not found (the REST sentences).
    expect(a.sub({ topic: 's-xyz789.lab-a' })).toEqual({ ok: false, error: 'Topic s-xyz789.lab-a does not exist.' });
    expect(a.sub({ group: 's-xyz789.test-group' })).toEqual({ ok: false, error: 'There is no consumer group s-xyz789.test-group.' });

    const adas = timeline.publish({ type: 'messages.produced', actor: 'abc123', topic: 's-abc123.lab-a', count: 1, partitions: { 0: 1 } }, { owner: 'abc123', topic: 's-abc123.lab-a' });
    const rebalance = timeline.publish(
      { type: 'group.rebalanced', actor: 'kafka', groupId: 's-xyz789.test-group', consumerId: 'cb', memberId: 'm', generation: 1, assigned: [{ topic: 's-xyz789.lab-a', partitions: [0] }], revoked: [] },
      { owner: 'xyz789', consumerId: 'cb', groupId: 's-xyz789.test-group', topic: 's-xyz789.lab-a' },
    );
    const shared = timeline.publish({ type: 'partition.leader-changed', actor: 'kafka', topic: 'shared', partition: 0, from: 1, to: 2 }, { topic: 'shared' });
    flush();
    expect(a.sent.filter(([e]) => e === 'event').map(([, d]) => d)).toEqual([{ ...adas, topic: 'lab-a' }, shared]);
    expect(b.sent.filter(([e]) => e === 'event').map(([, d]) => (d as LabEvent).seq)).toEqual([rebalance.seq, shared.seq]);
    expect(b.sent.find(([e]) => e === 'rebalance')?.[1]).toEqual({ ...rebalance, groupId: 'test-group', assigned: [{ topic: 'lab-a', partitions: [0] }] });
  });

  it('refuses a replay larger than the socket may hold, and registers nothing', () => {
    const since = timeline.lastSeq;
    for (let i = 0; i < 150; i++) timeline.publish({ type: 'messages.produced', actor: 'instructor', topic: 'big', count: 1, partitions: { 0: 1 } }, { topic: 'big' });
    const { c, sent } = connect();
    const ack = subscribe(c, { topic: 'big', after: since });
    expect(ack.ok).toBe(false);
    expect(!ack.ok && ack.error).toMatch(new RegExp(`more stored items.*GET /api/events\\?after=${since}`));
    timeline.publish({ type: 'messages.produced', actor: 'instructor', topic: 'big', count: 1, partitions: { 0: 1 } }, { topic: 'big' });
    flush();
    expect(seqsOf(sent, 'event')).toEqual([]);
  });

  it('says how many messages a cursor older than the kept ones missed', () => {
    story('c3');
    const feed = consumers.get('c3')!;
    feed.receive(80, 'c3'); // the ring keeps 50: 31..80
    const { c, sent } = connect();
    expect(subscribe(c, { consumer: 'c3', after: { message: 10 } })).toMatchObject({ ok: true, messageSeq: 80, missedMessages: 20 });
    flush();
    expect(seqsOf(sent, 'message')).toEqual(Array.from({ length: 50 }, (_, i) => 31 + i));
  });

  it('reads a consumer\'s story by its id, and refuses a cursor too far back to look through for the other kinds', () => {
    const queries: Array<Record<string, unknown>> = [];
    const reader: TimelineReader = {
      lastSeq: REPLAY_SCAN_MAX + 50,
      query: (q) => {
        queries.push({ after: q.after, consumerId: q.consumerId });
        return timeline.query(q);
      },
    };
    const far = new Subscriptions(reader, queues, { feed: (id) => consumers.get(id) });
    consumers.set('c9', new FakeConsumer('instructor', 20));
    const { c } = connect();
    expect(far.subscribe(c, { consumer: 'c9' })).toMatchObject({ ok: true });
    expect(queries).toEqual([{ after: 20, consumerId: 'c9' }]);

    const ack = far.subscribe(c, { topic: 'orders', after: 49 });
    expect(ack).toEqual({ ok: false, error: expect.stringMatching(new RegExp(`^There are more than ${REPLAY_SCAN_MAX} stored events .*GET /api/events\\?after=49, then subscribe`)) });
    expect(queries).toHaveLength(1); // refused before reading anything
    expect(far.subscribe(c, { topic: 'orders', after: 50 })).toMatchObject({ ok: true });
  });

  it('logs a failing live fan-out, at most once a minute with how many were not logged', () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      story('c4');
      const { c } = connect();
      subscribe(c, { consumer: 'c4' });
      jest.spyOn(queues, 'messages').mockImplementation(() => {
        throw new Error('queue broke');
      });
      for (let i = 0; i < 3; i++) bus.emit('messages', 'c4', 'instructor', consumers.get('c4')!.receive(1, 'c4'));
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0][0])).toMatch(/^Sending 1 messages of consumer c4 to live subscribers failed; this is a bug: Error: queue broke/);
      jest.advanceTimersByTime(FAILURE_LOG_EVERY_MS);
      bus.emit('messages', 'c4', 'instructor', consumers.get('c4')!.receive(1, 'c4'));
      expect(errors).toHaveBeenCalledTimes(2);
      expect(String(errors.mock.calls[1][0])).toMatch(/\(2 more failures since the last report\)/);
    } finally {
      errors.mockRestore();
    }
  });

  it('checks cursors and names each mistake in a sentence', () => {
    expect(parseSubscription({ topic: 'orders', after: 3 })).toEqual({ kind: 'topic', name: 'orders', after: { event: 3 } });
    expect(parseSubscription({ consumer: 'c1', after: { message: 7 } })).toEqual({ kind: 'consumer', name: 'c1', after: { message: 7 } });
    expect(parseSubscription({ progress: true })).toEqual({ kind: 'progress', name: '' });
    for (const bad of [{ topic: 'o', after: -1 }, { topic: 'o', after: 1.5 }, { topic: 'o', after: '3' }, { consumer: 'c', after: { seq: 1 } }, { topic: 'o', after: { message: 1 } }, { after: 1 }]) {
      const r = parseSubscription(bad);
      expect('error' in r && r.error).toMatch(/^[A-Za-z].*\.$/);
    }
  });
});
