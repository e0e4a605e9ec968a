import { KAFKA_TOPIC_NAME_MAX } from '../class/namespace';

/**
 * Kafka's own rules for a topic name (org.apache.kafka.common.internals.Topic), said as sentences.
 * `max` is less than Kafka's 249 for a student, whose names get a prefix on the cluster (namespace.ts).
 */
export function topicNameProblem(name: string, max = KAFKA_TOPIC_NAME_MAX): string | null {
  if (name.length === 0) return 'A topic name cannot be empty.';
  if (name === '.' || name === '..') return `A topic cannot be named "${name}".`;
  if (name.length > max) {
    const why = max < KAFKA_TOPIC_NAME_MAX ? ` (Kafka allows ${KAFKA_TOPIC_NAME_MAX}, and the lab puts your ${KAFKA_TOPIC_NAME_MAX - max}-character prefix before your names on the cluster)` : '';
    return `A topic name can have at most ${max} characters${why}; this one has ${name.length}.`;
  }
  const bad = [...new Set([...name].filter((c) => !/[a-zA-Z0-9._-]/.test(c)))];
  if (bad.length) {
    return `Topic name "${name}" has ${bad.map((c) => JSON.stringify(c)).join(', ')}; only letters, digits, ".", "_" and "-" are allowed.`;
  }
  return null;
}

/** Kafka refuses two topics whose names differ only by "." versus "_" (their metric names collide). */
export function collidesWith(name: string, existing: string[]): string | undefined {
  const norm = (s: string) => s.replace(/\./g, '_');
  return existing.find((e) => e !== name && norm(e) === norm(name));
}

/** Kafka's own topics, with what each keeps (for the sentence that refuses writing to them). */
const INTERNAL_TOPICS: Record<string, string> = {
  __consumer_offsets: "the consumer groups' committed offsets",
  __transaction_state: "the transactions' state",
  __share_group_state: "the share groups' state",
  __cluster_metadata: "the KRaft controllers' metadata log",
};

/** Kafka's internal topics: what Kafka marks internal, and every name starting with "__" (reserved for them). */
export function isInternalTopic(name: string, kafkaSaysInternal = false): boolean {
  return kafkaSaysInternal || name.startsWith('__');
}

/** The 403 sentence for creating, writing to or deleting an internal topic; null when `name` is not one. */
export function internalTopicRefusal(name: string, act: 'create' | 'write to' | 'delete', kafkaSaysInternal = false): string | null {
  if (!isInternalTopic(name, kafkaSaysInternal)) return null;
  const what = INTERNAL_TOPICS[name];
  const which = what ? `Topic ${name} is Kafka's own: it keeps ${what}` : `Topic ${name} is one of Kafka's internal topics (names starting with "__" are reserved for them)`;
  return `${which}; the lab does not let anyone ${act} it. Use a topic of your own.`;
}
