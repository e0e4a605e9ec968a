import { LabError, notFound } from '../../src/common/lab-error';
import type { LabConfig } from '../../src/config/lab-config';
import type { KafkaService } from '../../src/kafka/kafka.service';
import type { MetadataSnapshot } from '../../src/kafka/metadata-snapshot';
import { MetadataTopic, PartitionOutcome, ProducePartitionError } from '../../src/kafka/protocol';
import type { ClusterService } from '../../src/cluster/cluster.service';
import { MessagesService, producedOwner } from '../../src/messages/messages.service';
import { canSee } from '../../src/class/visibility';
import type { ProduceAggregator } from '../../src/messages/produce-aggregator';
import type { TopicsService } from '../../src/topics/topics.service';
import type { QuotaService } from '../../src/class/quotas';

const who = { id: 'instructor', name: 'Instructor', role: 'instructor' as const };
const topicT: MetadataTopic = {
  name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, errorCode: 0,
  partitions: [{ partition: 0, errorCode: 0, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0], offlineReplicas: [] }],
};
const twoMessages = { messages: [{ key: null, value: 'a' }, { key: null, value: 'b' }], acks: -1 as const };

/** A MessagesService over stubs: `snapshotAge` is how old the last metadata picture is. */
function service(opts: { running: number[]; snapshotAge: number; outcome?: PartitionOutcome; topicNow?: 'gone' | 'there' }) {
  const asked = { find: 0, produce: 0 };
  const snapshot = { topic: (_: string, maxAgeMs: number) => (opts.snapshotAge <= maxAgeMs ? topicT : undefined) };
  const topics = {
    find: async () => {
      asked.find++;
      if (opts.running.length === 0) throw new LabError('KAFKA_UNAVAILABLE', 'No broker of the cluster answers at 127.0.0.1:9092; is the cluster running? Start it or a broker and try again.');
      if (opts.topicNow === 'gone') throw notFound('Topic t does not exist.');
      return { topic: topicT, md: {} };
    },
  };
  const kafka = {
    bootstrapServers: () => ['127.0.0.1:9092'],
    produceWire: async (_t: string, byPartition: Map<number, unknown>) => (asked.produce++, new Map([...byPartition.keys()].map((p) => [p, opts.outcome!]))),
  };
  const s = new MessagesService(
    { produceTimeoutMs: 10_000 } as LabConfig,
    kafka as unknown as KafkaService,
    { runningBrokerIds: () => opts.running } as unknown as ClusterService,
    snapshot as unknown as MetadataSnapshot,
    topics as unknown as TopicsService,
    { add: () => undefined } as unknown as ProduceAggregator,
    { produce: () => undefined } as unknown as QuotaService,
  );
  return { s, asked };
}

describe('MessagesService.produce', () => {
  it('with its only broker killed, says which messages were not written even when its metadata picture is old', async () => {
    const { s, asked } = service({ running: [], snapshotAge: 5_000 });
    const e = await s.produce(who, 't', twoMessages).catch((x) => x);
    expect(e).toBeInstanceOf(LabError);
    expect([e.status, e.message]).toEqual([503, 'None of the 2 messages were written to topic t: no broker of the cluster is running.']);
    expect(e.details.map((d: any) => [d.index, d.written])).toEqual([[0, false], [1, false]]);
    expect([asked.find, asked.produce]).toEqual([0, 0]);
  });

  it('a topic deleted since its metadata picture answers 404 "does not exist", not 503', async () => {
    const gone: PartitionOutcome = { ok: false, errorCode: 3, error: new ProducePartitionError(3, 't', 0, null, true, 'topic t is not in the cluster\'s metadata (error 3)') };
    const { s } = service({ running: [0], snapshotAge: 500, outcome: gone, topicNow: 'gone' });
    const e = await s.produce(who, 't', twoMessages).catch((x) => x);
    expect([e.status, e.message]).toEqual([404, 'Topic t does not exist.']);
    // Back again (created anew) but still unknown to the metadata: 503 naming what was not written.
    const back = service({ running: [0], snapshotAge: 500, outcome: gone, topicNow: 'there' });
    const e2 = await back.s.produce(who, 't', twoMessages).catch((x) => x);
    expect(e2.status).toBe(503);
    expect(e2.message).toMatch(/^None of the 2 messages were written to topic t: /);
  });
});

describe('messages.produced: who sees it', () => {
  const ada = { id: 'ada001', role: 'student' as const };
  const bob = { id: 'bob002', role: 'student' as const };
  const scopeOf = (writer: { id: string; role: 'student' | 'instructor' }, topic: string) => producedOwner(writer, topic);

  it('a student\'s writes to a shared topic are theirs (and the instructor\'s), not the rest of the class\'s', () => {
    const scope = scopeOf(ada, 'shared');
    expect(scope).toEqual({ owner: ada.id });
    expect([canSee(ada, scope), canSee(bob, scope), canSee(who, scope)]).toEqual([true, false, true]);
  });

  it('the instructor\'s writes to a shared topic are everyone\'s; any write to a student\'s topic is that student\'s', () => {
    expect(canSee(bob, scopeOf(who, 'shared'))).toBe(true);
    expect(scopeOf(who, `s-${ada.id}.t`)).toEqual({ owner: ada.id });
    expect(scopeOf(ada, `s-${ada.id}.t`)).toEqual({ owner: ada.id });
  });
});
