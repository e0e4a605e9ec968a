import type { AckRequest, AcknowledgeType } from '../../client-host/client-host.types';
import { badInput } from '../../common/lab-error';
import { TOPIC_NAME_RE } from '../consumer.types';

const TYPES: readonly AcknowledgeType[] = ['accept', 'release', 'reject'];
const FIELDS = new Set(['topic', 'partition', 'offset', 'type']);
/** One request acknowledges at most this many records. */
export const MAX_ACKS = 1000;

/**
 * `POST /api/consumers/{id}/acknowledge` `{ acks: [ { topic, partition, offset, type } ] }`, read by
 * hand for one sentence per way it can be wrong. `offset` may be a string or a number (answers use
 * strings); topics are the caller's names.
 */
export function parseAcknowledgeBody(body: unknown): AckRequest[] {
  const example = '{ "acks": [ { "topic": "jobs", "partition": 0, "offset": "5", "type": "accept" } ] }';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badInput(`The body must be a JSON object: ${example}.`);
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => k !== 'acks');
  if (extra.length) throw badInput(`${extra.join(', ')} ${extra.length > 1 ? 'are not fields' : 'is not a field'} of an acknowledgement request; send ${example}.`);
  if (!Array.isArray(b.acks)) throw badInput(`acks must be a list of acknowledgements: ${example}.`);
  if (b.acks.length === 0) throw badInput('acks is empty: name at least one record to acknowledge.');
  if (b.acks.length > MAX_ACKS) throw badInput(`At most ${MAX_ACKS} records can be acknowledged in one request; this one has ${b.acks.length}.`);
  return b.acks.map((a, i) => parseAck(a, `acks[${i}]`));
}

function parseAck(a: unknown, where: string): AckRequest {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw badInput(`${where} must be an object like { "topic": "jobs", "partition": 0, "offset": "5", "type": "release" }.`);
  const o = a as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !FIELDS.has(k));
  if (unknown.length) throw badInput(`${where} has ${unknown.join(', ')}, which ${unknown.length > 1 ? 'are not fields' : 'is not a field'} of an acknowledgement (topic, partition, offset, type).`);
  if (typeof o.topic !== 'string' || !TOPIC_NAME_RE.test(o.topic)) throw badInput(`${where}.topic must be a topic name (1 to 249 letters, digits, ".", "_" or "-").`);
  if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) throw badInput(`${where}.partition must be a whole number of 0 or more.`);
  const offset = typeof o.offset === 'number' && Number.isSafeInteger(o.offset) ? String(o.offset) : o.offset;
  if (typeof offset !== 'string' || !/^\d{1,19}$/.test(offset)) throw badInput(`${where}.offset must be the record's offset, a whole number of 0 or more (as a number or a string of digits).`);
  if (typeof o.type !== 'string' || !TYPES.includes(o.type as AcknowledgeType)) {
    throw badInput(`${where}.type must be "accept" (done), "release" (give it back: it is delivered again) or "reject" (never deliver it again).`);
  }
  return { topic: o.topic, partition: o.partition, offset: BigInt(offset).toString(), type: o.type as AcknowledgeType };
}
