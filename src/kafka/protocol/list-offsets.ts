import { API_KEYS, BrokerAddress, request } from './kafka-connection';
import type { ClusterMetadata } from './metadata';
import { Reader, Writer } from './wire';
import { KAFKA_ERRORS } from '../kafka-error-codes';

/**
 * ListOffsets v5: the last non-flexible version, supported from Kafka 2.2 to 4.x, and enough for
 * earliest/latest; newer versions add only timestamp kinds we do not ask for.
 */
export const LIST_OFFSETS_VERSION = 5;
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

export interface PartitionOffsets {
  /** int64 as a decimal string; null when the partition has no leader or its leader did not answer. */
  earliest: string | null;
  latest: string | null;
}

export interface ListOffsetsPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  offset: string;
}

export const offsetKey = (topic: string, partition: number) => `${topic}:${partition}`;

export function encodeListOffsetsRequest(topic: string, partitions: readonly number[], timestamp: bigint): Buffer {
  return encodeListOffsetsTopics(new Map([[topic, partitions]]), timestamp);
}

/** One request for several topics' partitions (all led by the broker it goes to). */
export function encodeListOffsetsTopics(partitionsByTopic: ReadonlyMap<string, readonly number[]>, timestamp: bigint): Buffer {
  return new Writer(64)
    .int32(-1) // replica_id: a client, not a follower
    .int8(0) // isolation_level READ_UNCOMMITTED: latest is the high watermark, like kafka-get-offsets
    .array([...partitionsByTopic], (w, [name, partitions]) => {
      w.string(name).array(partitions, (pw, p) => {
        pw.int32(p).int32(-1 /* current_leader_epoch: do not fence */).int64(timestamp);
      });
    })
    .toBuffer();
}

export function decodeListOffsetsResponse(r: Reader): ListOffsetsPartitionResult[] {
  r.int32(); // throttle_time_ms
  return r
    .array((t) => {
      const topic = t.string();
      return t.array((p) => {
        const partition = p.int32();
        const errorCode = p.int16();
        p.int64(); // timestamp
        const offset = p.int64().toString();
        p.int32(); // leader_epoch
        return { topic, partition, errorCode, offset };
      });
    })
    .flat();
}

/**
 * Earliest and latest offsets of every partition of `topic`, each asked of the partition's leader as
 * `metadata` names it. Never throws for a sick partition: a partition without a leader, whose leader
 * does not answer, or that answers with an error code gets nulls. Keys are `${topic}:${partition}`.
 */
export async function fetchTopicOffsets(
  metadata: ClusterMetadata,
  topic: string,
  opts: { timeoutMs: number; clientId?: string },
): Promise<Map<string, PartitionOffsets>> {
  const out = new Map<string, PartitionOffsets>();
  const t = metadata.topics.find((x) => x.name === topic);
  if (!t) return out;
  const byLeader = new Map<number, number[]>();
  for (const p of t.partitions) {
    out.set(offsetKey(topic, p.partition), { earliest: null, latest: null });
    if (p.leader === null) continue;
    const list = byLeader.get(p.leader) ?? [];
    list.push(p.partition);
    byLeader.set(p.leader, list);
  }
  const addressOf = new Map(metadata.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port } as BrokerAddress]));
  const asks: Promise<void>[] = [];
  for (const [leader, partitions] of byLeader) {
    const broker = addressOf.get(leader);
    if (!broker) continue;
    for (const [field, ts] of [['earliest', EARLIEST_TIMESTAMP], ['latest', LATEST_TIMESTAMP]] as const) {
      asks.push(
        request(broker, API_KEYS.listOffsets, LIST_OFFSETS_VERSION, encodeListOffsetsRequest(topic, partitions, ts),
          { flexible: false, timeoutMs: opts.timeoutMs, clientId: opts.clientId }, decodeListOffsetsResponse)
          .then((results) => {
            for (const res of results) {
              const entry = out.get(offsetKey(res.topic, res.partition));
              if (entry && res.errorCode === KAFKA_ERRORS.NONE) entry[field] = res.offset;
            }
          })
          // The partition keeps null offsets: the description still renders while a leader moves.
          .catch(() => undefined),
      );
    }
  }
  await Promise.all(asks);
  return out;
}

/**
 * The latest offset (high watermark) of every partition of `topics` that has a leader, one request per
 * leader for all of them: for a watcher that looks at every topic of the class every few seconds. A
 * partition without a leader, or whose leader does not answer or answers with an error, is left out.
 */
export async function fetchLatestOffsets(
  metadata: ClusterMetadata,
  topics: readonly string[],
  opts: { timeoutMs: number; clientId?: string },
): Promise<Map<string, string>> {
  const wanted = new Set(topics);
  const byLeader = new Map<number, Map<string, number[]>>();
  for (const t of metadata.topics) {
    if (!wanted.has(t.name) || t.errorCode !== KAFKA_ERRORS.NONE) continue;
    for (const p of t.partitions) {
      if (p.leader === null) continue;
      let mine = byLeader.get(p.leader);
      if (!mine) byLeader.set(p.leader, (mine = new Map()));
      const list = mine.get(t.name) ?? [];
      list.push(p.partition);
      mine.set(t.name, list);
    }
  }
  const addressOf = new Map(metadata.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port } as BrokerAddress]));
  const out = new Map<string, string>();
  await Promise.all(
    [...byLeader].map(([leader, partitionsByTopic]) => {
      const broker = addressOf.get(leader);
      if (!broker) return Promise.resolve();
      return request(broker, API_KEYS.listOffsets, LIST_OFFSETS_VERSION, encodeListOffsetsTopics(partitionsByTopic, LATEST_TIMESTAMP),
        { flexible: false, timeoutMs: opts.timeoutMs, clientId: opts.clientId }, decodeListOffsetsResponse)
        .then((results) => {
          for (const res of results) if (res.errorCode === KAFKA_ERRORS.NONE) out.set(offsetKey(res.topic, res.partition), res.offset);
        })
        .catch(() => undefined);
    }),
  );
  return out;
}
