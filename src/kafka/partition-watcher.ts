import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { withDeadline } from '../common/deadline';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { TimelineService } from '../timeline/timeline.service';
import { KafkaService } from './kafka.service';
import type { ClusterMetadata, MetadataPartition, MetadataTopic } from './protocol';

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
    if (t.isInternal || t.errorCode !== 0) continue;
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
 * Polls the cluster's metadata (tolerant of leaderless partitions) every LAB_WATCH_INTERVAL_MS and puts
 * each leader election and ISR change on the timeline as it sees it. Its latest snapshot also serves
 * producers' checks, so a request does not need a metadata round trip of its own.
 */
@Injectable()
export class PartitionWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('PartitionWatcher');
  private timer: NodeJS.Timeout | null = null;
  private last: ClusterMetadata | null = null;
  private lastAt = 0;
  private inFlight = false;
  private asked = 0;
  private accepted = 0;
  private failures = 0;
  /** topic → owner, for event scopes; set by the topics service. */
  private scopeOf: (topic: string) => { owner?: string } = () => ({});

  constructor(
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    private readonly kafka: KafkaService,
    private readonly timeline: TimelineService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.watchIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  setScopeResolver(fn: (topic: string) => { owner?: string }): void {
    this.scopeOf = fn;
  }

  /** The latest snapshot if it is younger than `maxAgeMs`. */
  snapshot(maxAgeMs = 2000): ClusterMetadata | null {
    return this.last && Date.now() - this.lastAt <= maxAgeMs ? this.last : null;
  }

  topic(name: string, maxAgeMs = 2000): MetadataTopic | undefined {
    return this.snapshot(maxAgeMs)?.topics.find((t) => t.name === name && t.errorCode === 0);
  }

  /** Fetches now (and diffs against the last snapshot, so no change goes unreported). */
  async refresh(): Promise<ClusterMetadata> {
    const asked = ++this.asked;
    const md = await this.kafka.metadata();
    // Polls may overlap (a tick and a refresh asked for by a route): never diff an older answer over a newer one.
    if (asked > this.accepted) {
      this.accepted = asked;
      this.accept(md);
    }
    return md;
  }

  private async tick(): Promise<void> {
    if (this.inFlight || this.kafka.bootstrapServers().length === 0) return;
    this.inFlight = true;
    try {
      // Our own deadline too: one call that never settles must not silence the watcher for good.
      await withDeadline(this.refresh(), Math.max(5000, this.config.watchIntervalMs * 4));
      this.failures = 0;
    } catch (e) {
      // No broker answers (cluster stopped or every broker down): keep the last snapshot; diff on return.
      if (++this.failures === 20) this.log.warn(`The cluster's metadata could not be read for a while: ${(e as Error).message}`);
    } finally {
      this.inFlight = false;
    }
  }

  private accept(md: ClusterMetadata): void {
    const prev = this.last;
    this.last = md;
    this.lastAt = Date.now();
    if (!prev || prev.clusterId !== md.clusterId) return;
    for (const c of diffPartitions(prev, md)) {
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
