import { Injectable } from '@nestjs/common';
import { TimelineService } from '../timeline/timeline.service';
import { MetadataSnapshot } from './metadata-snapshot';
import type { ClusterMetadata, MetadataPartition } from './protocol';
import { KAFKA_ERRORS } from './kafka-error-codes';

export interface PartitionChange {
  topic: string;
  partition: number;
  leaderFrom?: number | null;
  leaderTo?: number | null;
  isr?: number[];
  isrPrevious?: number[];
}

/** Pure diff of two metadata snapshots: leader and ISR changes per partition of topics in both. */
export function diffPartitions(prev: ClusterMetadata, next: ClusterMetadata): PartitionChange[] {
  const before = new Map<string, MetadataPartition>();
  for (const t of prev.topics) for (const p of t.partitions) before.set(`${t.name}\u0000${p.partition}`, p);
  const out: PartitionChange[] = [];
  for (const t of next.topics) {
    if (t.isInternal || t.errorCode !== KAFKA_ERRORS.NONE) continue;
    for (const p of [...t.partitions].sort((a, b) => a.partition - b.partition)) {
      const old = before.get(`${t.name}\u0000${p.partition}`);
      if (!old) continue;
      const change: PartitionChange = { topic: t.name, partition: p.partition };
      let changed = false;
      if (old.leader !== p.leader) {
        change.leaderFrom = old.leader;
        change.leaderTo = p.leader;
        changed = true;
      }
      if (!sameSet(old.isr, p.isr)) {
        change.isr = [...p.isr];
        change.isrPrevious = [...old.isr];
        changed = true;
      }
      if (changed) out.push(change);
    }
  }
  return out;
}

function sameSet(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

/**
 * Puts each leader election and ISR change on the timeline, from the diff of every two successive
 * metadata snapshots (polled every LAB_WATCH_INTERVAL_MS; see MetadataSnapshot).
 */
@Injectable()
export class PartitionWatcher {
  /** topic → owner, for event scopes; set by the topics service. */
  private scopeOf: (topic: string) => { owner?: string } = () => ({});

  constructor(
    private readonly snapshot: MetadataSnapshot,
    private readonly timeline: TimelineService,
  ) {
    snapshot.onSnapshot((prev, next) => {
      if (prev) this.publish(diffPartitions(prev, next));
    });
  }

  setScopeResolver(fn: (topic: string) => { owner?: string }): void {
    this.scopeOf = fn;
  }

  /** Takes a snapshot now, so that what changes next is diffed against it (a new topic gets its baseline). */
  refresh(): Promise<ClusterMetadata> {
    return this.snapshot.fresh();
  }

  private publish(changes: PartitionChange[]): void {
    for (const c of changes) {
      const scope = { topic: c.topic, ...this.scopeOf(c.topic) };
      if (c.leaderFrom !== undefined) {
        this.timeline.publish({ type: 'partition.leader-changed', actor: 'kafka', topic: c.topic, partition: c.partition, from: c.leaderFrom, to: c.leaderTo ?? null }, scope);
      }
      if (c.isr) {
        this.timeline.publish({ type: 'partition.isr-changed', actor: 'kafka', topic: c.topic, partition: c.partition, isr: c.isr, previous: c.isrPrevious ?? [] }, scope);
      }
    }
  }
}
