/** Partitions of one topic, as the API shows them: `{ topic, partitions: [n] }`. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** What one member gained and lost in a rebalance. */
export interface AssignmentDiff {
  assigned: TopicPartitions[];
  revoked: TopicPartitions[];
}

/**
 * The canonical form of an assignment: topics sorted by name, partitions sorted and unique, topics
 * without partitions dropped. Accepts kafkajs's `{ [topic]: partitions }` (GROUP_JOIN's
 * memberAssignment, MemberAssignment.decode) or a list of `{ topic, partitions }`.
 */
export function normalizeAssignment(input: Record<string, readonly number[]> | readonly TopicPartitions[] | null | undefined): TopicPartitions[] {
  if (!input) return [];
  const byTopic = new Map<string, Set<number>>();
  const entries: Array<[string, readonly number[]]> = Array.isArray(input)
    ? (input as readonly TopicPartitions[]).map((tp) => [tp.topic, tp.partitions])
    : Object.entries(input as Record<string, readonly number[]>);
  for (const [topic, partitions] of entries) {
    const set = byTopic.get(topic) ?? new Set<number>();
    for (const p of partitions ?? []) set.add(Number(p));
    byTopic.set(topic, set);
  }
  return [...byTopic.entries()]
    .filter(([, set]) => set.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, set]) => ({ topic, partitions: [...set].sort((x, y) => x - y) }));
}

/** The partitions in `a` that are not in `b`, canonical. */
export function subtractAssignment(a: readonly TopicPartitions[], b: readonly TopicPartitions[]): TopicPartitions[] {
  const minus = new Map(normalizeAssignment(b).map((tp) => [tp.topic, new Set(tp.partitions)]));
  return normalizeAssignment(
    normalizeAssignment(a).map((tp) => ({
      topic: tp.topic,
      partitions: tp.partitions.filter((p) => !minus.get(tp.topic)?.has(p)),
    })),
  );
}

/**
 * What moved between two assignments of one member: `assigned = next − previous`,
 * `revoked = previous − next`. Partitions kept appear in neither list.
 */
export function diffAssignments(previous: readonly TopicPartitions[], next: readonly TopicPartitions[]): AssignmentDiff {
  return { assigned: subtractAssignment(next, previous), revoked: subtractAssignment(previous, next) };
}

export function isEmptyAssignment(a: readonly TopicPartitions[]): boolean {
  return a.every((tp) => tp.partitions.length === 0);
}

export function sameAssignment(a: readonly TopicPartitions[], b: readonly TopicPartitions[]): boolean {
  const d = diffAssignments(a, b);
  return isEmptyAssignment(d.assigned) && isEmptyAssignment(d.revoked);
}

/** Number of partitions in an assignment. */
export function partitionCount(a: readonly TopicPartitions[]): number {
  return a.reduce((n, tp) => n + tp.partitions.length, 0);
}
