import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionRanges, RangeSet } from '../../src/common/offset-ranges';
import { loadConfig } from '../../src/config/lab-config';
import { ConsumptionRecorder } from '../../src/consumers/consumption-recorder';
import { ProduceAggregator } from '../../src/messages/produce-aggregator';
import { LabDatabase } from '../../src/timeline/lab-database';
import { LabMessage, LiveBus } from '../../src/timeline/live-bus';
import { TimelineService } from '../../src/timeline/timeline.service';

describe('offset ranges', () => {
  it('gathers consecutive offsets into one range and keeps gaps apart', () => {
    const r = new RangeSet();
    for (const o of [0, 1, 2, 3, 7, 8, 12]) r.add(o);
    expect(r.toJSON()).toEqual([['0', '3'], ['7', '8'], ['12', '12']]);
  });

  it('merges offsets that come out of order or again (a share record delivered twice)', () => {
    const r = new RangeSet();
    for (const o of [5, 6, 2, 3, 4, 6, 0]) r.add(o);
    expect(r.toJSON()).toEqual([['0', '0'], ['2', '6']]);
  });

  it('keeps partitions apart, in order', () => {
    const p = new PartitionRanges();
    p.add(2, 10, 14);
    p.add(0, 0);
    p.add(0, 1);
    expect(p.toJSON()).toEqual({ '0': [['0', '1']], '2': [['10', '14']] });
  });
});

describe('what the timeline records of consumers and producers', () => {
  let dir: string;
  let db: LabDatabase;
  let bus: LiveBus;
  let timeline: TimelineService;
  let recorder: ConsumptionRecorder;
  let aggregator: ProduceAggregator;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-recording-'));
    db = new LabDatabase(loadConfig({ LAB_DATA_DIR: dir }));
    bus = new LiveBus();
    timeline = new TimelineService(db, bus);
    recorder = new ConsumptionRecorder(timeline, bus);
    aggregator = new ProduceAggregator(timeline);
  });
  afterEach(() => {
    recorder.onModuleDestroy();
    aggregator.onModuleDestroy();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const msg = (consumerId: string, topic: string, partition: number, offset: number): LabMessage => ({
    seq: offset + 1, consumerId, topic, partition, offset: String(offset), key: null, value: 'v', headers: {}, timestamp: new Date(0).toISOString(),
  });
  const start = (consumerId: string, owner: string) =>
    timeline.publish({ type: 'consumer.started', actor: owner, consumerId, groupId: 'g' }, { owner, consumerId, groupId: 'g', topic: 't' });
  const types = () => timeline.scan(0, 100).map((s) => s.ev.type);

  it('stores what a consumer received before the next event naming it, with its owner as the scope', () => {
    start('c1', 'abc123');
    bus.emit('messages', 'c1', 'abc123', [msg('c1', 't', 0, 0), msg('c1', 't', 0, 1), msg('c1', 't', 1, 5)]);
    expect(types()).toEqual(['consumer.started']);
    timeline.publish(
      { type: 'group.rebalanced', actor: 'kafka', groupId: 'g', consumerId: 'c1', memberId: 'm', generation: 2, assigned: [], revoked: [{ topic: 't', partitions: [0, 1] }] },
      { owner: 'abc123', consumerId: 'c1', groupId: 'g' },
    );
    const stored = timeline.scan(0, 100);
    expect(stored.map((s) => s.ev.type)).toEqual(['consumer.started', 'messages.consumed', 'group.rebalanced']);
    expect(stored[1].ev).toMatchObject({ consumerId: 'c1', groupId: 'g', topic: 't', count: 3, offsets: { '0': [['0', '1']], '1': [['5', '5']] } });
    expect(stored[1].scope).toEqual({ owner: 'abc123', consumerId: 'c1', groupId: 'g', topic: 't' });
  });

  it('stores a student\'s receipts under the cluster\'s topic names, as every other event names them', () => {
    // Messages reach the recorder in the owner's names: `orders` for the student's s-abc123.orders.
    timeline.publish(
      { type: 'consumer.started', actor: 'abc123', consumerId: 'c1', groupId: 's-abc123.g', topics: ['s-abc123.orders', 'shared'] },
      { owner: 'abc123', consumerId: 'c1', groupId: 's-abc123.g' },
    );
    bus.emit('messages', 'c1', 'abc123', [msg('c1', 'orders', 0, 0), msg('c1', 'shared', 0, 3)]);
    recorder.flush();
    const consumed = timeline.scan(0, 100).filter((s) => s.ev.type === 'messages.consumed');
    expect(consumed.map((s) => [s.ev.type === 'messages.consumed' && s.ev.topic, s.scope?.topic])).toEqual([
      ['s-abc123.orders', 's-abc123.orders'],
      ['shared', 'shared'],
    ]);
  });

  it('stores receipts of one consumer only before events naming that consumer', () => {
    start('c1', 'abc123');
    start('c2', 'abc123');
    bus.emit('messages', 'c1', 'abc123', [msg('c1', 't', 0, 0)]);
    timeline.publish({ type: 'consumer.stopped', actor: 'abc123', consumerId: 'c2', groupId: 'g' }, { owner: 'abc123', consumerId: 'c2' });
    expect(types()).toEqual(['consumer.started', 'consumer.started', 'consumer.stopped']);
    recorder.flush();
    expect(types()).toEqual(['consumer.started', 'consumer.started', 'consumer.stopped', 'messages.consumed']);
  });

  it('stores what every member of a group received before a rebalance of any of them, and nothing of other groups', () => {
    start('c1', 'abc123');
    start('c2', 'abc123');
    timeline.publish({ type: 'consumer.started', actor: 'abc123', consumerId: 'c3', groupId: 'other' }, { owner: 'abc123', consumerId: 'c3', groupId: 'other' });
    bus.emit('messages', 'c1', 'abc123', [msg('c1', 't', 0, 0)]);
    bus.emit('messages', 'c3', 'abc123', [msg('c3', 't', 0, 0)]);
    timeline.publish(
      { type: 'group.rebalanced', actor: 'kafka', groupId: 'g', consumerId: 'c2', memberId: 'm2', generation: 3, assigned: [{ topic: 't', partitions: [1] }], revoked: [] },
      { owner: 'abc123', consumerId: 'c2', groupId: 'g' },
    );
    const stored = timeline.scan(3, 100).map((s) => s.ev);
    expect(stored.map((e) => [e.type, (e as { consumerId?: string }).consumerId])).toEqual([['messages.consumed', 'c1'], ['group.rebalanced', 'c2']]);
  });

  it('stores pending writes before any receipt, so a write is on the timeline ahead of its reading', () => {
    start('c1', 'abc123');
    bus.emit('messages', 'c1', 'abc123', [msg('c1', 't', 0, 10)]);
    aggregator.add('abc123', 't', { topic: 't' }, { 0: 1 }, { 0: '10' });
    recorder.flush();
    expect(types()).toEqual(['consumer.started', 'messages.produced', 'messages.consumed']);
  });

  it('records where writes landed, and stores pending writes before a node event', () => {
    aggregator.add('abc123', 't', { topic: 't' }, { 0: 3, 2: 1 }, { 0: '10', 2: null });
    aggregator.add('abc123', 't', { topic: 't' }, { 0: 2 }, { 0: '13' });
    timeline.publish({ type: 'node.killed', actor: 'instructor', nodeId: 1, role: 'broker' });
    const stored = timeline.scan(0, 100).map((s) => s.ev);
    expect(stored.map((e) => e.type)).toEqual(['messages.produced', 'node.killed']);
    expect(stored[0]).toMatchObject({ count: 6, partitions: { 0: 5, 2: 1 }, offsets: { '0': [['10', '14']] } });
  });

  it('scan reads events with their scopes from memory and from disk alike', () => {
    start('c1', 'abc123');
    timeline.publish({ type: 'node.started', actor: 'system', nodeId: 0, role: 'broker' });
    const fresh = new TimelineService(db, new LiveBus());
    expect(fresh.scan(0, 10)).toEqual(timeline.scan(0, 10));
    expect(timeline.scan(1, 10).map((s) => s.ev.seq)).toEqual([2]);
    expect(timeline.scan(0, 1)[0].scope).toEqual({ owner: 'abc123', consumerId: 'c1', groupId: 'g', topic: 't' });
  });
});
