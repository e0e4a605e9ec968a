import { KAFKA_ERRORS } from '../kafka-error-codes';
import { API_KEYS, BrokerAddress, firstAnswering, request } from './kafka-connection';
import { Reader, Writer } from './wire';

/**
 * DescribeTopicPartitions v0 (KIP-966, Kafka 3.8+): what Metadata does not carry, each partition's
 * eligible leader replicas (ELR) and last known ELR. Kafka's admin client, and so kafka-topics.sh
 * --describe, reads partitions this way; on 4.x, where ELR is on, a partition whose ISR fell below
 * min.insync.replicas lists replicas there, and the tool prints them.
 */
export const DESCRIBE_TOPIC_PARTITIONS_VERSION = 0;

export interface PartitionElr {
  partition: number;
  /** null when the broker sends none (the tool prints "N/A"). */
  elr: number[] | null;
  lastKnownElr: number[] | null;
}

/** One topic, at most `limit` partitions (a lab topic has far fewer), no cursor. */
export function encodeDescribeTopicPartitionsRequest(topic: string, limit = 2000): Buffer {
  return new Writer(64)
    .compactArray([topic], (w, name) => {
      w.compactString(name).emptyTaggedFields();
    })
    .int32(limit)
    .int8(-1) // cursor: null
    .emptyTaggedFields()
    .toBuffer();
}

const int32s = (r: Reader) => r.compactArray((x) => x.int32());
const nullableInt32s = (r: Reader) => r.compactNullableArray((x) => x.int32());

/** The ELR lists of the first topic of the answer, by partition; a topic error gives an empty list. */
export function decodeDescribeTopicPartitionsResponse(r: Reader): PartitionElr[] {
  r.int32(); // throttle_time_ms
  const topics = r.compactArray((t) => {
    const errorCode = t.int16();
    t.compactNullableString(); // name
    t.uuid(); // topic id
    t.bool(); // is internal
    const partitions = t.compactArray((p) => {
      p.int16(); // error code
      const partition = p.int32();
      p.int32(); // leader
      p.int32(); // leader epoch
      int32s(p); // replicas
      int32s(p); // isr
      const elr = nullableInt32s(p);
      const lastKnownElr = nullableInt32s(p);
      int32s(p); // offline replicas
      p.skipTaggedFields();
      return { partition, elr, lastKnownElr };
    });
    t.int32(); // topic_authorized_operations
    t.skipTaggedFields();
    return errorCode === KAFKA_ERRORS.NONE ? partitions : [];
  });
  // next_cursor: a nullable struct, -1 when absent.
  if (r.int8() >= 0) {
    r.compactString();
    r.int32();
    r.skipTaggedFields();
  }
  r.skipTaggedFields();
  return (topics[0] ?? []).sort((a, b) => a.partition - b.partition);
}

/** The topic's ELR lists from the first broker of `bootstrap` that answers. */
export function fetchPartitionElr(
  bootstrap: readonly BrokerAddress[],
  topic: string,
  opts: { timeoutMs: number; clientId?: string; staggerMs?: number },
): Promise<PartitionElr[]> {
  return firstAnswering(
    bootstrap,
    (b, timeoutMs, signal) =>
      request(b, API_KEYS.describeTopicPartitions, DESCRIBE_TOPIC_PARTITIONS_VERSION, encodeDescribeTopicPartitionsRequest(topic), { flexible: true, timeoutMs, clientId: opts.clientId, signal }, decodeDescribeTopicPartitionsResponse),
    opts,
  );
}
