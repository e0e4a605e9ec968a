import { API_KEYS, BrokerAddress, firstAnswering, request } from './kafka-connection';
import { Reader, Writer } from './wire';

/**
 * Client quotas (KIP-546): AlterClientQuotas (key 49), v1, flexible, sent to any broker (under KRaft it
 * forwards the change to the active controller). kafkajs does not speak it. Used for per-user quotas
 * on the class listener: the API's own quotas do not apply to students' kcat or kafka-topics.sh.
 */
export const ALTER_CLIENT_QUOTAS_VERSION = 1;

/** The quota keys this lab sets (Kafka's names; rates per second, per broker). */
export type ClientQuotaKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'controller_mutation_rate' | 'request_percentage';

/** One entity's quota changes: a value sets the key, null removes it. */
export interface ClientQuotaAlteration {
  /** The entity's parts, e.g. `{ user: 's-abc123' }` (a null name is the default entity). */
  entity: Record<string, string | null>;
  ops: Partial<Record<ClientQuotaKey, number | null>>;
}

/** One entity's outcome: errorCode 0 when done. */
export interface ClientQuotaResult {
  entity: Record<string, string | null>;
  errorCode: number;
  errorMessage: string | null;
}

export function encodeAlterClientQuotasRequest(alterations: readonly ClientQuotaAlteration[], validateOnly = false): Buffer {
  const w = new Writer(128);
  w.compactArray(alterations, (ew, a) => {
    ew.compactArray(Object.entries(a.entity), (pw, [type, name]) => {
      pw.compactString(type).compactNullableString(name).emptyTaggedFields();
    });
    ew.compactArray(Object.entries(a.ops) as Array<[string, number | null]>, (ow, [key, value]) => {
      // A removal still carries a value (ignored by Kafka).
      ow.compactString(key).float64(value ?? 0).bool(value === null).emptyTaggedFields();
    });
    ew.emptyTaggedFields();
  });
  return w.bool(validateOnly).emptyTaggedFields().toBuffer();
}

export function decodeAlterClientQuotasResponse(r: Reader): ClientQuotaResult[] {
  r.int32(); // throttle_time_ms
  const results = r.compactArray((x) => {
    const errorCode = x.int16();
    const errorMessage = x.compactNullableString();
    const entity: Record<string, string | null> = {};
    x.compactArray((e) => {
      const type = e.compactString();
      entity[type] = e.compactNullableString();
      e.skipTaggedFields();
      return type;
    });
    x.skipTaggedFields();
    return { entity, errorCode, errorMessage };
  });
  r.skipTaggedFields();
  return results;
}

/** Alters the quotas of every entity in one request, sent to the first broker that answers. */
export function alterClientQuotas(
  bootstrap: readonly BrokerAddress[],
  alterations: readonly ClientQuotaAlteration[],
  opts: { timeoutMs: number; clientId?: string; staggerMs?: number },
): Promise<ClientQuotaResult[]> {
  if (alterations.length === 0) return Promise.resolve([]);
  const body = encodeAlterClientQuotasRequest(alterations);
  return firstAnswering(
    bootstrap,
    (b, timeoutMs, signal) =>
      request(b, API_KEYS.alterClientQuotas, ALTER_CLIENT_QUOTAS_VERSION, body, { flexible: true, timeoutMs, clientId: opts.clientId, signal }, decodeAlterClientQuotasResponse),
    opts,
  );
}
