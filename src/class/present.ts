import type { EventTopicPartitions, LabEvent } from '../timeline/events';
import { fromClusterName, studentPrefix } from './namespace';
import type { Principal } from './principal';

/**
 * Events are stored with the cluster's names (what Kafka and the instructor see); this is how one
 * looks to a given caller. The instructor gets it as stored. A student gets their own topics and
 * groups without their prefix (shared topics keep their names). Only events the caller may see
 * (visibility.ts) come here, so a name of another student's is never among them; were one to slip
 * through, it is left as it is rather than guessed at. Pure: REST, the socket and grading agree.
 */
export function presentEvent(who: Pick<Principal, 'id' | 'role'>, ev: LabEvent): LabEvent {
  if (who.role === 'instructor') return ev;
  const fields = ev as unknown as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  const set = (key: string, value: unknown) => {
    out ??= { ...fields };
    out[key] = value;
  };
  for (const key of ['topic', 'groupId'] as const) {
    const v = fields[key];
    if (typeof v !== 'string') continue;
    const name = fromClusterName(who, v);
    if (name !== null && name !== v) set(key, name);
  }
  // Sentences from Kafka or the client (a crash's reason, why a record came back) may name the cluster's topic.
  for (const key of ['reason', 'why'] as const) {
    const v = fields[key];
    if (typeof v !== 'string') continue;
    const text = presentSentence(who, v);
    if (text !== v) set(key, text);
  }
  // consumer.started's `topics`: the topics it reads.
  if (Array.isArray(fields.topics)) {
    const names = (fields.topics as unknown[]).map((t) => (typeof t === 'string' ? fromClusterName(who, t) ?? t : t));
    if (names.some((n, i) => n !== (fields.topics as unknown[])[i])) set('topics', names);
  }
  for (const key of ['assigned', 'revoked', 'owned'] as const) {
    const list = fields[key];
    if (!Array.isArray(list)) continue;
    const renamed = renameTopics(who, list as EventTopicPartitions[]);
    if (renamed !== list) set(key, renamed);
  }
  if (ev.type === 'checkpoint.passed' && ev.evidence && typeof ev.evidence === 'object') {
    set('evidence', presentEvidence(who, ev.evidence as EvidenceLike));
  }
  return (out ?? ev) as LabEvent;
}

/** The names an Evidence (src/grading/grading.types.ts) carries. */
interface EvidenceLike {
  summary?: unknown;
  topics?: unknown;
  groups?: unknown;
  messages?: unknown;
}

/** A checkpoint's evidence with the caller's names: its topics, groups, messages' topics and its sentence. */
export function presentEvidence<E extends EvidenceLike>(who: Pick<Principal, 'id' | 'role'>, evidence: E): E {
  if (who.role === 'instructor') return evidence;
  const name = (n: unknown) => (typeof n === 'string' ? fromClusterName(who, n) ?? n : n);
  const out: Record<string, unknown> = { ...(evidence as Record<string, unknown>) };
  if (typeof evidence.summary === 'string') out.summary = presentSentence(who, evidence.summary);
  if (Array.isArray(evidence.topics)) out.topics = evidence.topics.map(name);
  if (Array.isArray(evidence.groups)) out.groups = evidence.groups.map(name);
  if (Array.isArray(evidence.messages)) {
    out.messages = evidence.messages.map((m) => (m && typeof m === 'object' ? { ...m, topic: name((m as { topic?: unknown }).topic) } : m));
  }
  return out as E;
}

/** The list with the caller's topic names, or the same list when none changes (no copy per event). */
function renameTopics(who: Pick<Principal, 'id' | 'role'>, list: EventTopicPartitions[]): EventTopicPartitions[] {
  let changed = false;
  const out = list.map((tp) => {
    const name = fromClusterName(who, tp.topic);
    if (name === null || name === tp.topic) return tp;
    changed = true;
    return { ...tp, topic: name };
  });
  return changed ? out : list;
}

/**
 * A sentence for a student without their prefix: errors name their things as they do, even where a
 * sentence came from Kafka with the cluster's name in it. The instructor's sentences are as they are.
 */
export function presentSentence(who: Pick<Principal, 'id' | 'role'> | undefined, text: string): string {
  if (!who || who.role !== 'student') return text;
  const prefix = studentPrefix(who.id);
  return text.includes(prefix) ? text.split(prefix).join('') : text;
}

/**
 * The one not-found sentence per kind, for REST and the socket alike: another student's consumer,
 * topic or group gets the very sentence a missing one gets, so its existence is not confirmed.
 */
export function notFoundSentence(kind: 'consumer' | 'topic' | 'group', name: string): string {
  if (kind === 'topic') return `Topic ${name} does not exist.`;
  return kind === 'group' ? `There is no consumer group ${name}.` : `There is no consumer ${name}.`;
}
