import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/lab-config';
import { ConsumptionRecorder } from '../../src/consumers/consumption-recorder';
import { GradingEngine } from '../../src/grading/engine/grading-engine';
import { LabDatabase } from '../../src/timeline/lab-database';
import { LabMessage, LiveBus } from '../../src/timeline/live-bus';
import { TimelineService } from '../../src/timeline/timeline.service';

/**
 * Consumers hand their messages on under the names their owner uses (a student's topic without its
 * prefix); the recorder stores them under the cluster's, so grading matches them with the rebalances.
 */
describe('receipts on the timeline, as grading reads them', () => {
  let dir: string;
  let db: LabDatabase;
  let bus: LiveBus;
  let timeline: TimelineService;
  let recorder: ConsumptionRecorder;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-grading-names-'));
    db = new LabDatabase(loadConfig({ LAB_DATA_DIR: dir }));
    bus = new LiveBus();
    timeline = new TimelineService(db, bus);
    recorder = new ConsumptionRecorder(timeline, bus);
  });
  afterEach(() => {
    recorder.onModuleDestroy();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const msg = (consumerId: string, topic: string, partition: number, offset: number): LabMessage => ({
    seq: offset + 1, consumerId, topic, partition, offset: String(offset), key: null, value: 'v', headers: {}, timestamp: new Date(0).toISOString(),
  });

  it('lets grading match receipts with the rebalances that name the same partitions', () => {
    const t = 's-abc123.orders';
    const g = 's-abc123.shop';
    const scope = (consumerId: string) => ({ owner: 'abc123', consumerId, groupId: g, topic: t });
    const start = (id: string) => timeline.publish({ type: 'consumer.started', actor: 'abc123', consumerId: id, groupId: g, protocol: 'consumer', topics: [t], fromBeginning: true }, scope(id));
    const rebalanced = (id: string, assigned: number[], revoked: number[], owned: number[]) =>
      timeline.publish(
        { type: 'group.rebalanced', actor: 'kafka', groupId: g, consumerId: id, memberId: id, generation: 1, protocol: 'consumer', assigned: assigned.length ? [{ topic: t, partitions: assigned }] : [], revoked: revoked.length ? [{ topic: t, partitions: revoked }] : [], owned: owned.length ? [{ topic: t, partitions: owned }] : [] },
        scope(id),
      );
    start('c1');
    rebalanced('c1', [0, 1], [], [0, 1]);
    start('c2');
    rebalanced('c1', [], [1], [0]);
    rebalanced('c2', [1], [], [1]);
    bus.emit('messages', 'c1', 'abc123', [msg('c1', 'orders', 0, 3)]);
    recorder.flush();
    const engine = new GradingEngine();
    for (const { ev, scope: s } of timeline.scan(0, 100)) engine.apply(ev, s);
    expect([...engine.passed('abc123').keys()]).toEqual(['incremental-rebalance']);
  });
});
