import { Reader, Writer } from './wire';

/**
 * Produce v8: the newest non-flexible version (Kafka 2.4 to 4.x). Over v7 its answer adds the
 * broker's own error message and which record of a batch was refused, which we pass on to students.
 */
export const PRODUCE_VERSION = 8;

export type Acks = -1 | 0 | 1;

export interface ProducePartitionData {
  partition: number;
  /** One RecordBatch v2 (Produce v3+ takes exactly one batch per partition). */
  records: Buffer;
}

export interface ProducePartitionResponse {
  topic: string;
  partition: number;
  errorCode: number;
  /** int64 as a decimal string; "-1" when the write failed. */
  baseOffset: string;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: string;
  logStartOffset: string;
  /** v8: the records of the batch the broker refused, with its reason for each. */
  recordErrors: Array<{ batchIndex: number; message: string | null }>;
  /** v8: the broker's own sentence, when it has one. */
  errorMessage: string | null;
}

/** The request body: one entry per topic, each partition at most once (the broker keeps only one). */
export function encodeProduceRequest(
  topics: ReadonlyMap<string, readonly ProducePartitionData[]>,
  opts: { acks: Acks; timeoutMs: number },
): Buffer {
  let size = 64;
  for (const [name, partitions] of topics) {
    size += 6 + Buffer.byteLength(name);
    for (const p of partitions) size += 8 + p.records.length;
  }
  return new Writer(size)
    .nullableString(null) // transactional_id
    .int16(opts.acks)
    .int32(opts.timeoutMs)
    .array([...topics], (w, [name, partitions]) => {
      w.string(name).array(partitions, (pw, p) => {
        pw.int32(p.partition).int32(p.records.length).raw(p.records);
      });
    })
    .toBuffer();
}

export function decodeProduceResponse(r: Reader): ProducePartitionResponse[] {
  const out = r
    .array((t) => {
      const topic = t.string();
      return t.array((p): ProducePartitionResponse => ({
        topic,
        partition: p.int32(),
        errorCode: p.int16(),
        baseOffset: p.int64().toString(),
        logAppendTimeMs: p.int64().toString(),
        logStartOffset: p.int64().toString(),
        recordErrors: p.array((e) => ({ batchIndex: e.int32(), message: e.nullableString() })),
        errorMessage: p.nullableString(),
      }));
    })
    .flat();
  r.int32(); // throttle_time_ms
  return out;
}
