import { outsideOwnNamespace, resolveTopic, toClusterName } from '../class/namespace';
import { notFoundSentence } from '../class/present';
import type { Principal } from '../class/principal';

export type SubscriptionKind = 'consumer' | 'topic' | 'group' | 'cluster' | 'events' | 'progress';
const KINDS: readonly SubscriptionKind[] = ['consumer', 'topic', 'group', 'cluster', 'events', 'progress'];
const FLAG_KINDS: ReadonlySet<SubscriptionKind> = new Set(['cluster', 'events', 'progress']);

/**
 * Where a subscription starts. Events (the timeline's seq) and a consumer's messages (its own seq) are
 * numbered apart, so the cursor names each; an absent part starts where a subscription without a
 * cursor starts (a consumer's creation for `{ consumer }`, now for the others).
 */
export interface Cursor {
  event?: number;
  message?: number;
}

export interface Subscription {
  kind: SubscriptionKind;
  /** The consumer id, topic or group as the cluster knows it; '' for cluster/events/progress. */
  name: string;
  after?: Cursor;
}

const SHAPE =
  'A subscription is one object naming exactly one of consumer, topic, group, cluster, events or progress, ' +
  'optionally with a cursor "after", e.g. { "consumer": "c1" }, { "topic": "orders", "after": 41 }, { "group": "g1" }, ' +
  '{ "cluster": true }, { "events": true } or { "progress": true }.';

const CURSOR =
  'after must be the seq of the last event you have (a whole number of 0 or more), or for a consumer ' +
  '{ "event": <seq>, "message": <seq> } with either part.';

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseCursor(kind: SubscriptionKind, v: unknown): Cursor | { error: string } {
  if (isSeq(v)) return { event: v };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: CURSOR };
  const { event, message, ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length || (event !== undefined && !isSeq(event)) || (message !== undefined && !isSeq(message))) return { error: CURSOR };
  if (message !== undefined && kind !== 'consumer') {
    return { error: `Only a consumer subscription has messages: give a ${kind} subscription "after": <event seq>.` };
  }
  return { ...(event !== undefined ? { event } : {}), ...(message !== undefined ? { message } : {}) };
}

/** Checks a subscribe/unsubscribe payload; an error is a sentence for the ack. */
export function parseSubscription(body: unknown): Subscription | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: SHAPE };
  const keys = Object.keys(body).filter((k) => k !== 'after');
  if (keys.length !== 1 || !KINDS.includes(keys[0] as SubscriptionKind)) return { error: SHAPE };
  const kind = keys[0] as SubscriptionKind;
  const fields = body as Record<string, unknown>;
  const value = fields[kind];
  let name = '';
  if (FLAG_KINDS.has(kind)) {
    if (value !== true) return { error: `${kind} must be true, as in { "${kind}": true }.` };
  } else {
    if (typeof value !== 'string' || value.trim() === '' || value.length > 255) {
      return { error: `${kind} must be a name of 1 to 255 characters, as in { "${kind}": "${kind === 'consumer' ? 'c1' : 'orders'}" }.` };
    }
    name = value;
  }
  if (fields.after === undefined) return { kind, name };
  const after = parseCursor(kind, fields.after);
  if ('error' in after) return after;
  return { kind, name, after };
}

/** The one key of a subscription (and of the index of who subscribed to it). */
export function subscriptionKey(kind: SubscriptionKind, name: string): string {
  return `${kind}:${name}`;
}

/**
 * The one place a topic or group name, as the caller says it, becomes the cluster name events carry
 * (namespace.ts): a student's group is in their namespace; a student's topic is their own, else the
 * shared one of that name (as on every REST route). A name in a student's namespace shape is never a
 * student's own (nobody may create one), so it is refused with the REST routes' not-found sentence.
 */
export function subscriptionName(who: Principal, kind: 'topic' | 'group', visibleName: string, topicExists: (clusterName: string) => boolean): { name: string } | { error: string } {
  if (outsideOwnNamespace(who, visibleName)) return { error: notFoundSentence(kind, visibleName) };
  if (kind === 'group') return { name: toClusterName(who, visibleName) };
  return { name: resolveTopic(who, visibleName, topicExists) };
}
