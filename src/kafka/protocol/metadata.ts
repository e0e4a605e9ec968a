import { API_KEYS, BrokerAddress, firstAnswering, request } from './kafka-connection';
import { Reader, Writer, ZERO_UUID } from './wire';

/** Metadata v12 is the newest Kafka 3.9 speaks; it is flexible and carries topic ids. */
export const METADATA_VERSION = 12;

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataPartition {
  partition: number;
  /** Kafka's error code for this partition (0: none; 5 LEADER_NOT_AVAILABLE when it has no leader). */
  errorCode: number;
  /** null when the partition has no leader (Kafka sends -1). */
  leader: number | null;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface MetadataTopic {
  name: string;
  /** As Kafka prints it ("TopicId: ..."): base64url of the 16 bytes, no padding. */
  topicId: string;
  isInternal: boolean;
  /** 0, or e.g. 3 UNKNOWN_TOPIC_OR_PARTITION for a name asked for that does not exist. */
  errorCode: number;
  partitions: MetadataPartition[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  /** Under KRaft this is a random live broker, not the active controller (see KAFKAJS-NOTES.md). */
  controllerId: number;
  /** Only live (unfenced) brokers: a dead broker is absent here but may still be in `replicas`. */
  brokers: MetadataBroker[];
  topics: MetadataTopic[];
}

export interface MetadataOptions {
  timeoutMs: number;
  clientId?: string;
  signal?: AbortSignal;
}

/** The request body: `topics` undefined asks for every topic; never auto-creates. */
export function encodeMetadataRequest(topics?: readonly string[]): Buffer {
  return new Writer(64)
    .compactNullableArray(topics ?? null, (w, name) => {
      w.uuid(null).compactNullableString(name).emptyTaggedFields();
    })
    .bool(false) // allow_auto_topic_creation
    .bool(false) // include_topic_authorized_operations
    .emptyTaggedFields()
    .toBuffer();
}

const int32s = (r: Reader) => r.compactArray((x) => x.int32());

/**
 * Decodes a Metadata v12 response body. Error codes are reported, never thrown: a partition without a
 * leader is exactly what a lab wants to show.
 */
export function decodeMetadataResponse(r: Reader): ClusterMetadata {
  r.int32(); // throttle_time_ms
  const brokers = r.compactArray((b) => {
    const broker: MetadataBroker = { nodeId: b.int32(), host: b.compactString(), port: b.int32(), rack: b.compactNullableString() };
    b.skipTaggedFields();
    return broker;
  });
  const clusterId = r.compactNullableString();
  const controllerId = r.int32();
  const topics = r.compactArray((t) => {
    const errorCode = t.int16();
    const name = t.compactNullableString() ?? '';
    const topicId = t.uuid();
    const isInternal = t.bool();
    const partitions = t.compactArray((p) => {
      const errorCode = p.int16();
      const partition = p.int32();
      const leaderId = p.int32();
      const part: MetadataPartition = {
        partition,
        errorCode,
        leader: leaderId < 0 ? null : leaderId,
        leaderEpoch: p.int32(),
        replicas: int32s(p),
        isr: int32s(p),
        offlineReplicas: int32s(p),
      };
      p.skipTaggedFields();
      return part;
    });
    t.int32(); // topic_authorized_operations
    t.skipTaggedFields();
    partitions.sort((a, b) => a.partition - b.partition);
    const topic: MetadataTopic = { name, topicId, isInternal, errorCode, partitions };
    return topic;
  });
  r.skipTaggedFields();
  brokers.sort((a, b) => a.nodeId - b.nodeId);
  return { clusterId, controllerId, brokers, topics };
}

/** Metadata from one broker. */
export function fetchMetadata(broker: BrokerAddress, topics: readonly string[] | undefined, opts: MetadataOptions): Promise<ClusterMetadata> {
  return request(
    broker,
    API_KEYS.metadata,
    METADATA_VERSION,
    encodeMetadataRequest(topics),
    { flexible: true, timeoutMs: opts.timeoutMs, clientId: opts.clientId, signal: opts.signal },
    decodeMetadataResponse,
  );
}

/**
 * Metadata from the first broker of `bootstrap` that answers; dead brokers are skipped at once.
 * Rejects with NoBrokerAnsweredError when none answers within `timeoutMs`.
 */
export function fetchMetadataFromAny(
  bootstrap: readonly BrokerAddress[],
  topics: readonly string[] | undefined,
  opts: MetadataOptions & { staggerMs?: number },
): Promise<ClusterMetadata> {
  return firstAnswering(bootstrap, (b, timeoutMs, signal) => fetchMetadata(b, topics, { ...opts, timeoutMs, signal }), opts);
}

/** True when the topic id is Kafka's "no id" (e.g. in the answer for an unknown topic name). */
export const isZeroTopicId = (id: string) => id === ZERO_UUID;
