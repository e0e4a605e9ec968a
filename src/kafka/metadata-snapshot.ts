import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { withDeadline } from '../common/deadline';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { BOOTSTRAP_SOURCE, BROKER_OBSERVER, BootstrapSource, BrokerObserver, LiveBroker } from './cluster-link';
import { ClusterMetadata, KafkaWire, MetadataTopic, parseBrokerAddresses } from './protocol';
import { KAFKA_ERRORS } from './kafka-error-codes';

export type SnapshotListener = (prev: ClusterMetadata | null, next: ClusterMetadata) => void;

/**
 * The one picture of the cluster's metadata (live brokers, topics, partition leaders and ISRs), read
 * every LAB_WATCH_INTERVAL_MS with our tolerant wire client. The partition watcher diffs it for the
 * timeline, produce places and sends by it, and the cluster module learns from it which brokers the
 * cluster lists as live (external clusters). A caller that needs newer metadata than the last poll
 * asks for a fresh one; callers asking at the same time share one request.
 */
@Injectable()
export class MetadataSnapshot implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('MetadataSnapshot');
  private readonly wire = new KafkaWire({ timeoutMs: 5000, clientId: 'kafka-lab' });
  private readonly listeners: SnapshotListener[] = [];
  private timer: NodeJS.Timeout | null = null;
  private last: { md: ClusterMetadata; at: number; key: string } | null = null;
  /** The request started last, while it runs. */
  private pending: { startedAt: number; p: Promise<ClusterMetadata> } | null = null;
  private asked = 0;
  private settled = 0;
  private failures = 0;

  constructor(
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    @Inject(BOOTSTRAP_SOURCE) private readonly source: BootstrapSource,
    @Optional() @Inject(BROKER_OBSERVER) private readonly observer?: BrokerObserver,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.watchIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Called with every snapshot taken and the one before it (null for the first, or after a reset to a new cluster). */
  onSnapshot(listener: SnapshotListener): void {
    this.listeners.push(listener);
  }

  /** The latest metadata if younger than `maxAgeMs` and read from the brokers the cluster has now. */
  current(maxAgeMs = 2000): ClusterMetadata | null {
    const l = this.last;
    return l && Date.now() - l.at <= maxAgeMs && l.key === this.key() ? l.md : null;
  }

  /** A topic of the latest metadata (see current()), if it exists without error. */
  topic(name: string, maxAgeMs = 2000): MetadataTopic | undefined {
    return this.current(maxAgeMs)?.topics.find((t) => t.name === name && t.errorCode === KAFKA_ERRORS.NONE);
  }

  /**
   * Metadata asked for at or after `notBefore` (default now): joins a request started since then,
   * else starts one. What it brings becomes the snapshot (never over a newer one), so no change it
   * shows goes unreported.
   */
  fresh(notBefore = Date.now()): Promise<ClusterMetadata> {
    const p = this.pending;
    if (p && p.startedAt >= notBefore) return p.p;
    return this.fetch();
  }

  private tick(): void {
    if (this.pending || this.source.bootstrapServers().length === 0) return;
    this.fetch().catch(() => undefined);
  }

  private key(): string {
    return [...this.source.bootstrapServers()].sort().join(',');
  }

  private fetch(): Promise<ClusterMetadata> {
    const asked = ++this.asked;
    const key = this.key();
    const startedAt = Date.now();
    // Our own deadline too: one call that never settles must not silence the snapshot for good.
    const p = withDeadline(this.wire.metadata(parseBrokerAddresses(this.source.bootstrapServers())), Math.max(6000, this.config.watchIntervalMs * 4)).then(
      (md) => {
        // Requests may overlap (a poll and a producer's retry): never take an older answer over a newer one.
        if (asked > this.settled) {
          this.settled = asked;
          this.failures = 0;
          this.accept(md, key);
        }
        return md;
      },
      (e: Error) => {
        if (asked > this.settled) {
          this.settled = asked;
          // No broker answers (cluster stopped or every broker down): keep the last snapshot; diff on return.
          // Said only once the cluster had answered: before that it is still starting (each node up is logged).
          if (++this.failures === 20 && this.last) this.log.warn(`The cluster's metadata could not be read for a while: ${e.message}`);
          this.tell(null);
        }
        throw e;
      },
    );
    this.pending = { startedAt, p };
    const done = () => {
      if (this.pending?.p === p) this.pending = null;
    };
    p.then(done, done);
    return p;
  }

  private accept(md: ClusterMetadata, key: string): void {
    const prev = this.last && this.last.md.clusterId === md.clusterId ? this.last.md : null;
    this.last = { md, at: Date.now(), key };
    for (const listener of this.listeners) {
      try {
        listener(prev, md);
      } catch (e) {
        this.log.error(`A metadata listener failed: ${(e as Error).message}`);
      }
    }
    this.tell(md.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port })), md.clusterId);
  }

  private tell(live: LiveBroker[] | null, clusterId?: string | null): void {
    try {
      this.observer?.observeBrokers(live, clusterId);
    } catch (e) {
      this.log.error(`The broker observer failed: ${(e as Error).message}`);
    }
  }
}
