import type { HostedRecord } from '../client-host/client-host.types';
import type { ConsumedRecord, RecordHeaders } from '../kafka/classic-consumer';
import type { LabMessage } from '../timeline/live-bus';

/** A consumed record as the API's `Message` (on the hot path: one object per record, nothing more). */
export function toLabMessage(seq: number, consumerId: string, topic: string, partition: number, r: ConsumedRecord): LabMessage {
  return {
    seq,
    consumerId,
    topic,
    partition,
    offset: r.offset,
    key: r.key == null ? null : r.key.toString('utf8'),
    value: r.value == null ? null : r.value.toString('utf8'),
    headers: headersOf(r.headers),
    timestamp: isoTimestamp(r.timestamp),
  };
}

/** A record a hosted member received (already decoded by the host) as the API's `Message`. */
export function hostedToLabMessage(seq: number, consumerId: string, topic: string, r: HostedRecord): LabMessage {
  const m: LabMessage = {
    seq,
    consumerId,
    topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    value: r.value,
    headers: r.headers ?? {},
    timestamp: isoTimestamp(r.timestamp),
  };
  if (r.deliveryCount !== undefined) m.deliveryCount = r.deliveryCount;
  return m;
}

/** Milliseconds since the epoch (a decimal string) as ISO-8601; now when the client gave none usable. */
function isoTimestamp(ms: string): string {
  const ts = Number(ms);
  return new Date(Number.isFinite(ts) && ts >= 0 ? ts : Date.now()).toISOString();
}

function headersOf(h: RecordHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v == null) continue;
    // A repeated header keeps its last value: the API shows one string per name.
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last != null) out[k] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out;
}
