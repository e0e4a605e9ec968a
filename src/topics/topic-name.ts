/** Kafka's own rules for a topic name (org.apache.kafka.common.internals.Topic), said as sentences. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'A topic name cannot be empty.';
  if (name === '.' || name === '..') return `A topic cannot be named "${name}".`;
  if (name.length > 249) return `A topic name can have at most 249 characters; this one has ${name.length}.`;
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
