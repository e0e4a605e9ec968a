import { KAFKA_ERRORS, KafkaCodeError } from '../kafka-error-codes';
import { API_KEYS, BrokerAddress, firstAnswering, request } from './kafka-connection';
import { Reader, Writer } from './wire';

/** ElectLeaders v1: the last non-flexible version; adds the top-level error code v0 lacks. */
export const ELECT_LEADERS_VERSION = 1;
export const ELECTION_TYPE_PREFERRED = 0;
/** The partition is already led by its preferred replica: nothing to do, which is success for us. */
export const ELECTION_NOT_NEEDED = KAFKA_ERRORS.ELECTION_NOT_NEEDED;

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
  /** True when the preferred replica leads now (errorCode 0) or already did (ELECTION_NOT_NEEDED). */
  ok: boolean;
}

export function encodeElectLeadersRequest(topic: string, partitions: readonly number[], timeoutMs: number): Buffer {
  return new Writer(64)
    .int8(ELECTION_TYPE_PREFERRED)
    .nullableArray([{ topic, partitions }], (w, tp) => {
      w.string(tp.topic).array(tp.partitions, (pw, p) => pw.int32(p));
    })
    .int32(timeoutMs)
    .toBuffer();
}

export function decodeElectLeadersResponse(r: Reader): { errorCode: number; results: ElectionResult[] } {
  r.int32(); // throttle_time_ms
  const errorCode = r.int16();
  const results = r
    .array((t) => {
      const topic = t.string();
      return t.array((p) => {
        const partition = p.int32();
        const code = p.int16();
        const errorMessage = p.nullableString();
        return { topic, partition, errorCode: code, errorMessage, ok: code === KAFKA_ERRORS.NONE || code === ELECTION_NOT_NEEDED };
      });
    })
    .flat()
    .sort((a, b) => a.partition - b.partition);
  return { errorCode, results };
}

/**
 * Preferred leader election for `partitions` of `topic`, sent to the first live broker (under KRaft the
 * broker forwards it to the active controller). Per-partition failures are reported, not thrown; a
 * request-level error code (e.g. CLUSTER_AUTHORIZATION_FAILED) throws a KafkaCodeError.
 */
export async function electPreferredLeaders(
  bootstrap: readonly BrokerAddress[],
  topic: string,
  partitions: readonly number[],
  opts: { timeoutMs: number; clientId?: string; staggerMs?: number },
): Promise<ElectionResult[]> {
  const res = await firstAnswering(
    bootstrap,
    (b, timeoutMs, signal) =>
      request(
        b,
        API_KEYS.electLeaders,
        ELECT_LEADERS_VERSION,
        // The controller gets most of our deadline, so it answers before we give up on it.
        encodeElectLeadersRequest(topic, partitions, Math.max(100, Math.floor(timeoutMs * 0.8))),
        { flexible: false, timeoutMs, clientId: opts.clientId, signal },
        decodeElectLeadersResponse,
      ),
    opts,
  );
  if (res.errorCode !== KAFKA_ERRORS.NONE) throw new KafkaCodeError(res.errorCode);
  return res.results;
}
