import { parseKafkaVersion } from '../cluster/distribution/kafka-version';

/**
 * What `kafka-topics.sh --describe --topic x` prints, rebuilt from a topic description, as the Kafka
 * release the cluster runs prints it. Checked byte for byte against org.apache.kafka.tools.TopicCommand
 * 3.9.2 and 4.4.0 on live clusters (test/unit/describe-text.spec.ts holds their captured output). The
 * two print the same lines; only the configs a topic has, and so their order, differ.
 */

export interface DescribeTextPartition {
  partition: number;
  /** null when the partition has no leader: printed "Leader: none". */
  leader: number | null;
  replicas: readonly number[];
  isr: readonly number[];
  /** Not printed (the tool's text has no offline column); accepted so the API shape can be passed as is. */
  offlineReplicas?: readonly number[];
  /** Only while a reassignment runs; then the tool adds "Adding Replicas"/"Removing Replicas". */
  addingReplicas?: readonly number[];
  removingReplicas?: readonly number[];
  /**
   * Eligible leader replicas (KIP-966). A 3.9 or 4.x broker always reports a list (empty unless ELR
   * has some), so absent means empty; null means the broker did not say (the tool prints "N/A").
   */
  elr?: readonly number[] | null;
  lastKnownElr?: readonly number[] | null;
}

export type TopicConfigs = Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;

export interface DescribeTextTopic {
  name: string;
  /** Kafka's printed form; omitted (like the tool does for the zero id) when absent. */
  topicId?: string | null;
  replicationFactor: number;
  /**
   * The configs the tool calls non-default: every entry whose source is not DEFAULT_CONFIG, so it
   * includes broker-wide settings from server.properties (e.g. segment.bytes), not only the topic's own.
   */
  configs: TopicConfigs;
  partitions: readonly DescribeTextPartition[];
}

const ZERO_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
/**
 * The tool prints configs in the iteration order of the java.util.HashMap the admin client keeps
 * them in: by bucket of the name's String.hashCode. A 3.9 topic has 36 configs, a 4.4 topic 37, so
 * the map has 64 buckets (any count from 25 to 48 gives 64). Names sharing a bucket come in the
 * broker's answer order, which we cannot derive and which changed between releases (4.4 answers
 * index.interval.bytes before min.cleanable.dirty.ratio, 3.9 after): these are the orders the admin
 * clients iterated all of a topic's configs in, per release.
 */
const CONFIG_MAP_BUCKETS = 64;
export const KAFKA_39_TOPIC_CONFIG_ORDER: readonly string[] = [
  'compression.type',
  'remote.log.delete.on.disable',
  'leader.replication.throttled.replicas',
  'remote.storage.enable',
  'message.downconversion.enable',
  'min.insync.replicas',
  'segment.jitter.ms',
  'remote.log.copy.disable',
  'local.retention.ms',
  'cleanup.policy',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'compression.lz4.level',
  'segment.bytes',
  'retention.ms',
  'compression.gzip.level',
  'flush.messages',
  'compression.zstd.level',
  'message.format.version',
  'max.compaction.lag.ms',
  'file.delete.delay.ms',
  'max.message.bytes',
  'min.compaction.lag.ms',
  'message.timestamp.type',
  'local.retention.bytes',
  'preallocate',
  'min.cleanable.dirty.ratio',
  'index.interval.bytes',
  'unclean.leader.election.enable',
  'retention.bytes',
  'delete.retention.ms',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'segment.ms',
  'message.timestamp.difference.max.ms',
  'segment.index.bytes',
];

/**
 * 4.4.0's order: a topic created with every config set (TopicCommand prints them all then). The two
 * throttled-replicas lists cannot be set empty from the tool; each has a bucket of its own.
 */
export const KAFKA_44_TOPIC_CONFIG_ORDER: readonly string[] = [
  'compression.type',
  'errors.deadletterqueue.group.enable',
  'remote.copy.lag.bytes',
  'remote.log.delete.on.disable',
  'leader.replication.throttled.replicas',
  'remote.storage.enable',
  'min.insync.replicas',
  'segment.jitter.ms',
  'remote.log.copy.disable',
  'local.retention.ms',
  'cleanup.policy',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'compression.lz4.level',
  'segment.bytes',
  'retention.ms',
  'compression.gzip.level',
  'remote.copy.lag.ms',
  'flush.messages',
  'compression.zstd.level',
  'max.compaction.lag.ms',
  'file.delete.delay.ms',
  'max.message.bytes',
  'min.compaction.lag.ms',
  'message.timestamp.type',
  'local.retention.bytes',
  'preallocate',
  'index.interval.bytes',
  'min.cleanable.dirty.ratio',
  'unclean.leader.election.enable',
  'retention.bytes',
  'delete.retention.ms',
  'message.timestamp.after.max.ms',
  'max.decompressed.message.bytes',
  'message.timestamp.before.max.ms',
  'segment.ms',
  'segment.index.bytes',
];

function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

function javaHashMapBucket(key: string, buckets: number): number {
  const h = javaStringHash(key);
  return (h ^ (h >>> 16)) & (buckets - 1);
}

const rank = (order: readonly string[]) => new Map(order.map((name, i) => [name, i]));
const RANK_39 = rank(KAFKA_39_TOPIC_CONFIG_ORDER);
const RANK_44 = rank(KAFKA_44_TOPIC_CONFIG_ORDER);

/** The answer order of this release's broker: 3.9's for 3.x, 4.4's for every 4.x (the newest known). */
const rankFor = (kafkaVersion: string) => ((parseKafkaVersion(kafkaVersion)?.major ?? 4) < 4 ? RANK_39 : RANK_44);

/**
 * Orders configs the way the tool of `kafkaVersion` prints them, whatever order they come in. Unknown
 * names that share a bucket with another name keep their given order after the known ones.
 */
export function orderConfigsLikeKafka(configs: TopicConfigs, kafkaVersion: string): Array<[string, string]> {
  const known = rankFor(kafkaVersion);
  const entries: Array<[string, string]> = Array.isArray(configs)
    ? (configs as ReadonlyArray<readonly [string, string]>).map(([k, v]) => [k, v])
    : Object.entries(configs as Record<string, string>);
  return entries
    .map((e, i) => ({ e, i, b: javaHashMapBucket(e[0], CONFIG_MAP_BUCKETS), k: known.get(e[0]) ?? Infinity }))
    .sort((x, y) => x.b - y.b || (x.k === y.k ? 0 : x.k < y.k ? -1 : 1) || x.i - y.i)
    .map((x) => x.e);
}

const ids = (list: readonly number[]) => list.join(',');
const elrText = (list: readonly number[] | null | undefined) => (list === null ? 'N/A' : ids(list ?? []));

/** The full text as `kafkaVersion`'s tool prints it: one header line then one line per partition (sorted), each ending in "\n". */
export function renderDescribeText(topic: DescribeTextTopic, kafkaVersion: string): string {
  const configs = orderConfigsLikeKafka(topic.configs, kafkaVersion)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  let header = `Topic: ${topic.name}`;
  if (topic.topicId && topic.topicId !== ZERO_TOPIC_ID) header += `\tTopicId: ${topic.topicId}`;
  header += `\tPartitionCount: ${topic.partitions.length}\tReplicationFactor: ${topic.replicationFactor}\tConfigs: ${configs}`;

  const lines = [header];
  for (const p of [...topic.partitions].sort((a, b) => a.partition - b.partition)) {
    let line =
      `\tTopic: ${topic.name}\tPartition: ${p.partition}\tLeader: ${p.leader === null ? 'none' : p.leader}` +
      `\tReplicas: ${ids(p.replicas)}\tIsr: ${ids(p.isr)}`;
    if (p.addingReplicas || p.removingReplicas) {
      line += `\tAdding Replicas: ${ids(p.addingReplicas ?? [])}\tRemoving Replicas: ${ids(p.removingReplicas ?? [])}`;
    }
    line += `\tElr: ${elrText(p.elr)}\tLastKnownElr: ${elrText(p.lastKnownElr)}`;
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}
