/**
 * Which assigned partitions a consumer is stuck on: they hold messages past its position, yet nothing
 * has arrived from them for a while. kafkajs can hold a partition and never fetch it (tulios/kafkajs#1456;
 * seen here as a consumer that read one partition of three and never the others); the consumer's own
 * heartbeats and fetches from other brokers go on, so only per-partition progress shows it.
 */

export interface Progress {
  /** The next offset this consumer will read, when it has read something from the partition. */
  next: bigint | null;
  /** When it last read from the partition, or got it assigned. */
  since: number;
}

export interface PartitionEnds {
  earliest: string | null;
  latest: string | null;
}

/**
 * The partition keys (`topic:partition`) that are stuck. `committed` gives the group's committed offset
 * for partitions this consumer has not read yet (null: none committed), `fromBeginning` says where such a
 * partition starts without one. A partition with no known position and no committed offset of a consumer
 * that starts at the end is never called stuck: its start is unknown.
 */
export function stuckPartitions(
  assigned: string[],
  progress: Map<string, Progress>,
  ends: Map<string, PartitionEnds>,
  committed: Map<string, bigint | null>,
  fromBeginning: boolean,
  now: number,
  thresholdMs: number,
): string[] {
  const out: string[] = [];
  for (const key of assigned) {
    const p = progress.get(key);
    const e = ends.get(key);
    if (!p || !e || e.latest === null || now - p.since <= thresholdMs) continue;
    const latest = BigInt(e.latest);
    let position = p.next;
    if (position === null) {
      const c = committed.get(key);
      if (c !== undefined && c !== null) position = c;
      else if (fromBeginning && e.earliest !== null) position = BigInt(e.earliest);
    }
    if (position !== null && latest > position) out.push(key);
  }
  return out;
}
