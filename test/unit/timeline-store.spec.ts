import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/lab-config';
import { DATABASE_FILE, LabDatabase } from '../../src/timeline/lab-database';
import { LiveBus } from '../../src/timeline/live-bus';
import { TAIL_SIZE, TimelineService } from '../../src/timeline/timeline.service';
import type { EventScope, LabEvent } from '../../src/timeline/timeline.types';

describe('TimelineService (SQLite store)', () => {
  let dir: string;
  let db: LabDatabase;
  let bus: LiveBus;
  let timeline: TimelineService;

  const open = () => {
    db = new LabDatabase(loadConfig({ LAB_DATA_DIR: dir }));
    bus = new LiveBus();
    timeline = new TimelineService(db, bus);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-timeline-'));
    open();
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** 30 events: node events for all, topic events owned by alice or bob, rebalances of group g. */
  function publishMix(): LabEvent[] {
    const out: LabEvent[] = [];
    for (let i = 0; i < 10; i++) {
      out.push(timeline.publish({ type: 'node.started', actor: 'system', nodeId: i, role: 'broker' }));
      const owner = i % 2 ? 'alice' : 'bob';
      out.push(timeline.publish({ type: 'topic.created', actor: owner, topic: `t${i}`, partitions: 3, replicationFactor: 2 }, { owner, topic: `t${i}` }));
      out.push(timeline.publish(
        { type: 'group.rebalanced', actor: 'kafka', groupId: 'g', consumerId: `c${i}`, memberId: `m${i}`, generation: i, assigned: [{ topic: 't0', partitions: [0] }], revoked: [] },
        { owner: 'alice', groupId: 'g', consumerId: `c${i}` },
      ));
    }
    return out;
  }

  it('creates <dataDir>/lab.sqlite in WAL mode', () => {
    expect(fs.existsSync(path.join(dir, DATABASE_FILE))).toBe(true);
    expect(db.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('gives increasing seqs, the fields as published, and tells the LiveBus with the scope', () => {
    const seen: Array<[LabEvent, EventScope]> = [];
    bus.on('event', (ev, scope) => seen.push([ev, scope]));
    const a = timeline.publish({ type: 'cluster.started', actor: 'instructor', brokers: 3 });
    const b = timeline.publish({ type: 'consumer.started', actor: 'alice', consumerId: 'c1', groupId: 'g1' }, { owner: 'alice', consumerId: 'c1', groupId: 'g1' });
    expect(a.seq).toBe(1);
    expect(b.seq).toBe(2);
    expect(Object.keys(a).slice(0, 4)).toEqual(['seq', 'time', 'type', 'actor']);
    expect(a).toMatchObject({ type: 'cluster.started', actor: 'instructor', brokers: 3 });
    expect(Number.isNaN(Date.parse(a.time))).toBe(false);
    expect(seen).toEqual([[a, {}], [b, { owner: 'alice', consumerId: 'c1', groupId: 'g1' }]]);
  });

  it('answers after / types / limit / visible, oldest first, with next for polling', () => {
    const all = publishMix();
    expect(timeline.query({})).toEqual({ events: all, next: 30 });

    const after = timeline.query({ after: 25 });
    expect(after.events.map((e) => e.seq)).toEqual([26, 27, 28, 29, 30]);
    expect(after.next).toBe(30);

    const typed = timeline.query({ types: ['node.started'] });
    expect(typed.events).toHaveLength(10);
    expect(typed.events.every((e) => e.type === 'node.started')).toBe(true);

    const limited = timeline.query({ after: 3, limit: 4 });
    expect(limited.events.map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    expect(limited.next).toBe(7);

    // bob sees cluster/node events and his own topics, nothing of alice's.
    const bob = timeline.query({ visible: (s) => !s.owner || s.owner === 'bob' });
    expect(bob.events).toHaveLength(15);
    expect(bob.events.filter((e) => e.type === 'group.rebalanced')).toHaveLength(0);
    expect(bob.events.filter((e) => e.type === 'topic.created').map((e) => e.topic)).toEqual(['t0', 't2', 't4', 't6', 't8']);

    // A poller that loops after=next sees every event exactly once.
    const polled: number[] = [];
    let next = 0;
    for (;;) {
      const page = timeline.query({ after: next, limit: 7 });
      if (!page.events.length) {
        expect(page.next).toBe(next);
        break;
      }
      polled.push(...page.events.map((e) => e.seq));
      next = page.next;
    }
    expect(polled).toEqual(all.map((e) => e.seq));
    expect(timeline.query({ after: 1000 })).toEqual({ events: [], next: 1000 });
  });

  it('keeps every event over a close and reopen, and seq keeps increasing', () => {
    const before = publishMix();
    db.close();
    open();
    expect(timeline.query({}).events).toEqual(before);
    expect(timeline.query({ types: ['group.rebalanced'], visible: (s) => s.owner === 'alice' }).events).toHaveLength(10);
    const next = timeline.publish({ type: 'cluster.stopped', actor: 'instructor' });
    expect(next.seq).toBe(31);
    // AUTOINCREMENT: a seq is never reused even if rows were removed by hand.
    db.db.prepare('DELETE FROM events WHERE seq = 31').run();
    db.close();
    open();
    expect(timeline.publish({ type: 'cluster.started', actor: 'instructor' }).seq).toBe(32);
  });

  it('answers from disk the same as from memory once events leave the in-memory tail', () => {
    const total = TAIL_SIZE + 3000;
    const insertAll = db.db.transaction(() => {
      for (let i = 0; i < total; i++) {
        const owner = i % 3 === 0 ? 'alice' : undefined;
        timeline.publish({ type: i % 2 ? 'messages.produced' : 'partition.isr-changed', actor: 'kafka', i }, owner ? { owner } : {});
      }
    });
    insertAll();
    // Old events come from the database; the answer is filtered and limited the same way.
    const page = timeline.query({ after: 10, types: ['messages.produced'], limit: 2500, visible: (s) => !s.owner });
    expect(page.events).toHaveLength(2500);
    expect(page.events[0].seq).toBe(12);
    for (const e of page.events) {
      expect(e.type).toBe('messages.produced');
      expect(((e.i as number) % 3)).not.toBe(0);
    }
    // Pages walk through the disk part into the memory part without a gap or a repeat.
    const seqs: number[] = [];
    let next = 0;
    for (let r = 0; r < 100; r++) {
      const p = timeline.query({ after: next, limit: 1500 });
      if (!p.events.length) break;
      seqs.push(...p.events.map((e) => e.seq));
      next = p.next;
    }
    expect(seqs).toHaveLength(total);
    expect(seqs[total - 1]).toBe(total);
    expect(new Set(seqs).size).toBe(total);

    // A restart reloads the tail; the same query gives the same answer.
    const again = timeline.query({ after: total - 50, visible: (s) => s.owner === 'alice' });
    db.close();
    open();
    expect(timeline.query({ after: total - 50, visible: (s) => s.owner === 'alice' })).toEqual(again);
  });

  it('reads one consumer\'s events by its indexed id, from disk and from memory, filed even when the scope left it out', () => {
    const insertAll = db.db.transaction(() => {
      timeline.publish({ type: 'consumer.started', actor: 'alice', consumerId: 'c1', groupId: 'g' }, { owner: 'alice', consumerId: 'c1' });
      for (let i = 0; i < TAIL_SIZE + 500; i++) timeline.publish({ type: 'messages.produced', actor: 'kafka', i });
      timeline.publish({ type: 'consumer.started', actor: 'alice', consumerId: 'c2', groupId: 'g' }, { owner: 'alice', consumerId: 'c2' });
      // A publisher that named the consumer only in the event: still filed under it.
      timeline.publish({ type: 'consumer.stopped', actor: 'alice', consumerId: 'c1', groupId: 'g' }, { owner: 'alice' });
    });
    insertAll();
    db.close();
    open(); // the tail now starts after c1's start: that one is read from disk
    const plan = db.db
      .prepare('EXPLAIN QUERY PLAN SELECT seq FROM events WHERE consumer_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all('c1', 0, 10) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toContain('events_consumer_seq');
    const c1 = timeline.query({ after: 0, consumerId: 'c1' }).events;
    expect(c1.map((e) => [e.seq, e.type])).toEqual([[1, 'consumer.started'], [TAIL_SIZE + 503, 'consumer.stopped']]);
    expect(timeline.query({ after: 1, consumerId: 'c1', types: ['consumer.started'] }).events).toEqual([]);
    expect(timeline.query({ after: TAIL_SIZE, consumerId: 'c2' }).events.map((e) => e.seq)).toEqual([TAIL_SIZE + 502]);
  });

  // How fast publishing is belongs to the benchmarks (machines are noisy); this checks that a burst of
  // single publishes is stored whole and in order.
  it('stores 10,000 single publishes, numbered without a gap', () => {
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      timeline.publish({ type: 'messages.produced', actor: 'alice', topic: 'orders', count: 1, partitions: { 0: 1 } }, { owner: 'alice', topic: 'orders' });
    }
    expect(timeline.lastSeq).toBe(n);
    const seqs = timeline.query({ after: 0, limit: n }).events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it('drops (and does not throw on) a publish after the database closed at shutdown', () => {
    timeline.publish({ type: 'cluster.started', actor: 'system' });
    db.close();
    const late = timeline.publish({ type: 'cluster.stopped', actor: 'system' });
    expect(late.seq).toBe(0);
    open();
    expect(timeline.query({}).events.map((e) => e.type)).toEqual(['cluster.started']);
  });
});
