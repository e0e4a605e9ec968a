import { badInput } from '../common/lab-error';

export interface OutgoingMessage {
  key: string | null;
  value: string | null;
  partition?: number;
  headers?: Record<string, string>;
}

export interface ProduceRequest {
  messages: OutgoingMessage[];
  acks: -1 | 0 | 1;
}

export const MAX_MESSAGES_PER_REQUEST = 10_000;

/**
 * Reads a produce body into messages, with a sentence for each way it can be wrong. Accepts the three
 * shapes of API.md: `{ messages: [...], acks? }`, one message `{ key?, value, partition?, headers? }`,
 * or text/plain with one message per line (like `kcat -P`).
 */
export function parseProduceBody(body: unknown, contentType: string | undefined): ProduceRequest {
  // Text by its Content-Type only: a JSON body that is a bare string ("AAA") is not lines of text.
  if ((contentType ?? '').toLowerCase().startsWith('text/plain')) {
    const text = typeof body === 'string' ? body : '';
    const lines = text.split(/\r?\n/);
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    if (lines.length === 0) throw badInput('The text body has no lines: send one message per line.');
    if (lines.length > MAX_MESSAGES_PER_REQUEST) throw badInput(`At most ${MAX_MESSAGES_PER_REQUEST} messages can be sent in one request; this one has ${lines.length}.`);
    return { messages: lines.map((value) => ({ key: null, value })), acks: -1 };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badInput('The body must be a JSON object: { "messages": [ { "value": "..." } ] } or one message { "value": "..." }, or text/plain lines.');
  }
  const b = body as Record<string, unknown>;
  const acks = parseAcks(b.acks);
  if ('messages' in b) {
    const extra = Object.keys(b).filter((k) => k !== 'messages' && k !== 'acks');
    if (extra.length) throw badInput(`${extra.join(', ')} ${extra.length > 1 ? 'are not fields' : 'is not a field'} of a batch; put key, value, partition and headers inside each message.`);
    if (!Array.isArray(b.messages)) throw badInput('messages must be an array of messages, e.g. [ { "value": "m1" } ].');
    if (b.messages.length === 0) throw badInput('messages is empty: send at least one message.');
    if (b.messages.length > MAX_MESSAGES_PER_REQUEST) throw badInput(`At most ${MAX_MESSAGES_PER_REQUEST} messages can be sent in one request; this one has ${b.messages.length}.`);
    return { messages: b.messages.map((m, i) => parseMessage(m, `messages[${i}]`)), acks };
  }
  const { acks: _a, ...one } = b;
  return { messages: [parseMessage(one, 'the message')], acks };
}

function parseAcks(v: unknown): -1 | 0 | 1 {
  if (v === undefined || v === null) return -1;
  if (v === -1 || v === 0 || v === 1) return v;
  if (v === 'all') return -1;
  throw badInput(`acks must be -1 (all in-sync replicas), 1 (the leader) or 0 (no answer), not ${JSON.stringify(v)}.`);
}

const FIELDS = new Set(['key', 'value', 'partition', 'headers']);

function parseMessage(m: unknown, where: string): OutgoingMessage {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw badInput(`${where} must be an object like { "value": "hello" }.`);
  const o = m as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !FIELDS.has(k));
  if (unknown.length) throw badInput(`${where} has ${unknown.join(', ')}, which ${unknown.length > 1 ? 'are not fields' : 'is not a field'} of a message (key, value, partition, headers).`);
  if (!('value' in o)) throw badInput(`${where} has no value.`);
  const value = o.value;
  if (value !== null && typeof value !== 'string') throw badInput(`${where}.value must be a string (or null), not ${typeName(value)}.`);
  const key = o.key ?? null;
  if (key !== null && typeof key !== 'string') throw badInput(`${where}.key must be a string, not ${typeName(key)}.`);
  const out: OutgoingMessage = { key: key as string | null, value: value as string | null };
  if (o.partition !== undefined && o.partition !== null) {
    if (!Number.isInteger(o.partition) || (o.partition as number) < 0) throw badInput(`${where}.partition must be a whole number of 0 or more, not ${JSON.stringify(o.partition)}.`);
    out.partition = o.partition as number;
  }
  if (o.headers !== undefined && o.headers !== null) {
    if (typeof o.headers !== 'object' || Array.isArray(o.headers)) throw badInput(`${where}.headers must be an object of names to string values.`);
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) {
      if (typeof v !== 'string') throw badInput(`${where}.headers.${k} must be a string, not ${typeName(v)}.`);
      h[k] = v;
    }
    out.headers = h;
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
