import type { LabConfig } from '../../src/config/lab-config';
import type { BrokerObserver, LiveBroker } from '../../src/kafka/cluster-link';
import { KafkaService } from '../../src/kafka/kafka.service';
import { MetadataSnapshot } from '../../src/kafka/metadata-snapshot';
import { PartitionWatcher } from '../../src/kafka/partition-watcher';
import { ClusterMetadata, KafkaWire, MetadataPartition, OutMessage, WireProducer } from '../../src/kafka/protocol';
import type { TimelineService } from '../../src/timeline/timeline.service';

const part = (partition: number, leader: number | null, isr: number[]): MetadataPartition =>
  ({ partition, errorCode: leader === null ? 5 : 0, leader, leaderEpoch: 0, replicas: [0, 1, 2], isr, offlineReplicas: [] });
const md = (brokers: number[], partitions: MetadataPartition[], clusterId = 'c'): ClusterMetadata => ({
  clusterId, controllerId: brokers[0] ?? -1,
  brokers: brokers.map((id) => ({ nodeId: id, host: '127.0.0.1', port: 9092 + id, rack: null })),
  topics: [{ name: 't', topicId: 'x', isInternal: false, errorCode: 0, partitions }],
});

/** Answers of the stubbed wire, settled by the test in any order. */
function stubWire() {
  const calls: { resolve: (m: ClusterMetadata) => void; reject: (e: Error) => void }[] = [];
  const spy = jest.spyOn(KafkaWire.prototype, 'metadata').mockImplementation(() => new Promise((resolve, reject) => calls.push({ resolve, reject })));
  return { calls, spy };
}

const config = { watchIntervalMs: 500 } as LabConfig;
const flush = () => new Promise((r) => jest.requireActual<typeof import('timers')>('timers').setImmediate(r));

describe('the one metadata snapshot', () => {
  let servers: string[];
  let seen: (LiveBroker[] | null)[];
  let snapshot: MetadataSnapshot;
  beforeEach(() => {
    jest.useFakeTimers();
    servers = ['127.0.0.1:9092', '127.0.0.1:9093'];
    seen = [];
    const observer: BrokerObserver = { observeBrokers: (live, clusterId) => seen.push(live && clusterId === 'c' ? live : null) };
    snapshot = new MetadataSnapshot(config, { bootstrapServers: () => servers }, observer);
  });
  afterEach(() => {
    snapshot.onApplicationShutdown();
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('is polled every watch interval, one request at a time, and tells the observer the live brokers or null', async () => {
    const { calls } = stubWire();
    snapshot.onApplicationBootstrap();
    jest.advanceTimersByTime(500);
    expect(calls).toHaveLength(1);
    jest.advanceTimersByTime(500);
    expect(calls).toHaveLength(1); // the first is still out
    calls[0].resolve(md([0, 2], [part(0, 0, [0, 2])]));
    await flush();
    expect(seen).toEqual([[{ id: 0, host: '127.0.0.1', port: 9092 }, { id: 2, host: '127.0.0.1', port: 9094 }]]);
    expect(snapshot.topic('t')?.partitions[0].leader).toBe(0);
    jest.advanceTimersByTime(500);
    calls[1].reject(new Error('no broker answered'));
    await flush();
    expect(seen[1]).toBeNull();
    // The last good snapshot stays until it is too old.
    expect(snapshot.current(2000)).not.toBeNull();
    jest.advanceTimersByTime(2001);
    expect(snapshot.current(2000)).toBeNull();
  });

  it('never takes an older answer over a newer one', async () => {
    const { calls } = stubWire();
    const older = snapshot.fresh();
    jest.advanceTimersByTime(5);
    const newer = snapshot.fresh();
    calls[1].resolve(md([0, 1, 2], [part(0, 1, [0, 1, 2])]));
    await newer;
    calls[0].resolve(md([0, 1, 2], [part(0, 0, [0, 1, 2])]));
    await older;
    expect(snapshot.topic('t')?.partitions[0].leader).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('fresh(notBefore) joins a request started since then and starts one otherwise', async () => {
    const { calls } = stubWire();
    const t0 = Date.now();
    const a = snapshot.fresh();
    expect(snapshot.fresh(t0)).toBe(a);
    jest.advanceTimersByTime(10);
    const b = snapshot.fresh(t0 + 10);
    expect(b).not.toBe(a);
    expect(calls).toHaveLength(2);
    calls.forEach((c) => c.resolve(md([0], [])));
    await Promise.all([a, b]);
  });

  it('is not used for another set of brokers (after a reset or a new broker) until read again', async () => {
    const { calls } = stubWire();
    const p = snapshot.fresh();
    calls[0].resolve(md([0, 1], []));
    await p;
    expect(snapshot.current()).not.toBeNull();
    servers = ['127.0.0.1:9093', '127.0.0.1:9092'];
    expect(snapshot.current()).not.toBeNull(); // the same brokers in another order
    servers = [...servers, '127.0.0.1:9094'];
    expect(snapshot.current()).toBeNull();
  });

  it('feeds the partition watcher: leader and ISR changes between snapshots of one cluster go on the timeline', async () => {
    const { calls } = stubWire();
    const published: Record<string, unknown>[] = [];
    const timeline = { publish: (e: Record<string, unknown>) => published.push(e) } as unknown as TimelineService;
    const watcher = new PartitionWatcher(snapshot, timeline);
    const answers = [
      md([0, 1, 2], [part(0, 0, [0, 1, 2])]),
      md([1, 2], [part(0, 1, [1, 2])]),
      md([0, 1, 2], [part(0, 0, [0, 1, 2])], 'another-cluster'),
    ];
    for (const [i, answer] of answers.entries()) {
      const p = watcher.refresh();
      calls[i].resolve(answer);
      await p;
    }
    expect(published).toEqual([
      { type: 'partition.leader-changed', actor: 'kafka', topic: 't', partition: 0, from: 0, to: 1 },
      { type: 'partition.isr-changed', actor: 'kafka', topic: 't', partition: 0, isr: [1, 2], previous: [0, 1, 2] },
    ]);
  });

  it('serves recurring checks (the consumers\' progress watchdog) from the snapshot while it is recent and knows their topics', async () => {
    const { calls, spy } = stubWire();
    const kafka = new KafkaService({ bootstrapServers: () => servers }, snapshot);
    const p = snapshot.fresh();
    calls[0].resolve(md([0, 1, 2], [part(0, 0, [0, 1, 2])]));
    await p;
    expect((await kafka.recentMetadata(['t'])).topics[0].name).toBe('t');
    expect(spy).toHaveBeenCalledTimes(1);
    // A topic the snapshot does not know yet: asked for.
    const other = kafka.recentMetadata(['t', 'u']);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[1][1]).toEqual(['t', 'u']);
    calls[1].resolve(md([0, 1, 2], []));
    await other;
    // Too old: asked for.
    jest.advanceTimersByTime(2001);
    void kafka.recentMetadata(['t']);
    expect(spy).toHaveBeenCalledTimes(3);
    calls[2].resolve(md([0, 1, 2], []));
  });

  describe('produce placement', () => {
    const messages = new Map<number, OutMessage[]>([[0, [{ key: null, value: 'v' }]]]);
    const opts = { acks: -1 as const, timeoutMs: 1000, deadlineMs: 1000 };
    let getMetadata: (notBefore?: number) => Promise<ClusterMetadata>;
    beforeEach(() => {
      jest.spyOn(WireProducer.prototype, 'produceWithRetry').mockImplementation(async (g) => {
        getMetadata = g;
        return new Map();
      });
    });

    it('goes by the snapshot when it names a live leader for every partition written, else asks for newer metadata', async () => {
      const { calls, spy } = stubWire();
      const kafka = new KafkaService({ bootstrapServers: () => servers }, snapshot);
      const p = snapshot.fresh();
      calls[0].resolve(md([0, 1, 2], [part(0, 0, [0, 1, 2]), part(1, null, [2])]));
      await p;
      await kafka.produceWire('t', messages, opts);
      const first = await getMetadata();
      expect(first.topics[0].partitions[0].leader).toBe(0);
      expect(spy).toHaveBeenCalledTimes(1); // no metadata request of its own

      // A retry (the leader moved) wants metadata asked for after its failure.
      const failedAt = Date.now();
      const retry = getMetadata(failedAt);
      expect(spy).toHaveBeenCalledTimes(2);
      calls[1].resolve(md([1, 2], [part(0, 1, [1, 2]), part(1, null, [2])]));
      expect((await retry).topics[0].partitions[0].leader).toBe(1);
      // ... and that answer is the snapshot everybody sees now.
      expect(snapshot.topic('t')?.partitions[0].leader).toBe(1);

      // A partition the snapshot shows without a leader is not trusted: ask.
      await kafka.produceWire('t', new Map([[1, [{ key: null, value: 'w' }]]]), opts);
      void getMetadata();
      expect(spy).toHaveBeenCalledTimes(3);
      calls[2].resolve(md([1, 2], [part(0, 1, [1, 2]), part(1, 2, [2])]));
      await kafka.resetShared();
    });

    it('asks when the snapshot names a leader the cluster no longer lists as live', async () => {
      const { calls, spy } = stubWire();
      const kafka = new KafkaService({ bootstrapServers: () => servers }, snapshot);
      const p = snapshot.fresh();
      calls[0].resolve(md([1, 2], [part(0, 0, [0, 1, 2])]));
      await p;
      await kafka.produceWire('t', messages, opts);
      void getMetadata();
      expect(spy).toHaveBeenCalledTimes(2);
      calls[1].resolve(md([1, 2], [part(0, 1, [1, 2])]));
      await kafka.resetShared();
    });
  });
});
