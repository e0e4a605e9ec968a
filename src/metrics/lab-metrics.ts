import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NodeView } from '../cluster/cluster.types';
import type { ConsumerView } from '../consumers/consumer.types';
import type { ClusterMetadata } from '../kafka/protocol';
import type { LabEvent } from '../timeline/events';

/** A group's lag on one partition: end offset − committed offset, as GET /api/groups/{id} shows it. */
export interface LagRow {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** What the lag collection brought within its deadline; `complete` false when some of it was cut off. */
export interface LagReading {
  rows: LagRow[];
  complete: boolean;
}

/** Where the figures read at scrape time come from (the server's services; fakes in unit tests). */
export interface MetricsSources {
  nodes(): NodeView[];
  /** The latest metadata snapshot, or null while there is none recent enough. */
  metadata(): ClusterMetadata | null;
  consumers(): ConsumerView[];
  /** Signed-in socket.io connections. */
  sockets(): number;
  /** Must settle by itself within its own deadline: a dead cluster never hangs a scrape. */
  lag(): Promise<LagReading>;
}

export const NODE_STATES = ['starting', 'running', 'stopped', 'killed', 'paused', 'crashed', 'unreachable'] as const;

/** The content type Prometheus scrapes (text exposition format 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The lab's figures in a prom-client registry of its own (a process may hold several servers, e.g. in
 * tests): counters fed from timeline events as they happen, gauges read from `sources` at scrape time.
 */
export class LabMetrics {
  readonly registry = new Registry();
  private readonly produced: Counter<'topic'>;
  private readonly consumed: Counter<'topic' | 'group'>;
  private readonly rebalances: Counter<'group' | 'protocol'>;
  private readonly http: Histogram<'method' | 'route' | 'status'>;
  /** classic groups: the last generation counted, so one rebalance told by each member counts once. */
  private readonly generations = new Map<string, number>();
  private lagReading: Promise<LagReading> | null = null;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'klab_' });
    this.produced = new Counter({ name: 'klab_messages_produced_total', help: 'Messages written to a topic (the timeline\'s messages.produced events).', labelNames: ['topic'], registers });
    this.consumed = new Counter({ name: 'klab_messages_consumed_total', help: 'Messages the server\'s consumers received, per topic and group (messages.consumed events; a share record delivered again counts again).', labelNames: ['topic', 'group'], registers });
    this.rebalances = new Counter({ name: 'klab_group_rebalances_total', help: 'Rebalances seen by the server\'s consumers (group.rebalanced): a classic group counts once per generation, consumer and share groups once per member step.', labelNames: ['group', 'protocol'], registers });
    this.http = new Histogram({
      name: 'klab_http_request_duration_seconds',
      help: 'HTTP API answers by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const self = this;
    new Gauge({
      name: 'klab_consumer_group_lag',
      help: 'Messages a group has not committed yet, per partition (end offset − committed offset), read at scrape time.',
      labelNames: ['group', 'topic', 'partition'],
      registers,
      async collect() {
        const reading = await self.lagOfScrape();
        this.reset();
        for (const r of reading.rows) this.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.lag);
      },
    });
    new Gauge({
      name: 'klab_consumer_group_lag_complete',
      help: '1 when every group\'s lag was read within the scrape\'s deadline, 0 when some were left out.',
      registers,
      async collect() {
        this.set((await self.lagOfScrape()).complete ? 1 : 0);
      },
    });
    new Gauge({
      name: 'klab_partitions_under_replicated',
      help: 'Partitions of a topic with fewer in-sync replicas than replicas (the metadata snapshot).',
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        for (const t of self.sources.metadata()?.topics ?? []) this.set({ topic: t.name }, t.partitions.filter((p) => p.isr.length < p.replicas.length).length);
      },
    });
    new Gauge({
      name: 'klab_partitions_offline',
      help: 'Partitions of a topic without a leader (the metadata snapshot).',
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        for (const t of self.sources.metadata()?.topics ?? []) this.set({ topic: t.name }, t.partitions.filter((p) => p.leader === null).length);
      },
    });
    new Gauge({
      name: 'klab_metadata_fresh',
      help: '1 when the partition figures come from a recent metadata snapshot, 0 when the cluster has not answered lately.',
      registers,
      collect() {
        this.set(self.sources.metadata() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'klab_node_state',
      help: 'Each node\'s state as GET /api/cluster shows it: 1 for the state it is in, 0 for the others.',
      labelNames: ['node', 'role', 'state'],
      registers,
      collect() {
        this.reset();
        for (const n of self.sources.nodes()) for (const s of NODE_STATES) this.set({ node: String(n.id), role: n.role, state: s }, n.state === s ? 1 : 0);
      },
    });
    new Gauge({
      name: 'klab_socket_connections',
      help: 'Signed-in socket.io connections (web pages, klab live).',
      registers,
      collect() {
        this.set(self.sources.sockets());
      },
    });
    new Gauge({
      name: 'klab_consumers',
      help: 'Consumers the server runs, by protocol and state.',
      labelNames: ['protocol', 'state'],
      registers,
      collect() {
        this.reset();
        const count = new Map<string, { protocol: string; state: string; n: number }>();
        for (const c of self.sources.consumers()) {
          const k = `${c.protocol}/${c.state}`;
          (count.get(k) ?? count.set(k, { protocol: c.protocol, state: c.state, n: 0 }).get(k)!).n++;
        }
        for (const { protocol, state, n } of count.values()) this.set({ protocol, state }, n);
      },
    });
  }

  /** The lag reading both lag families of one scrape show (prom-client collects them side by side). */
  private lagOfScrape(): Promise<LagReading> {
    if (!this.lagReading) this.lagReading = this.sources.lag().finally(() => (this.lagReading = null));
    return this.lagReading;
  }

  /** A timeline event as the LiveBus hands it over. */
  observeEvent(ev: LabEvent): void {
    switch (ev.type) {
      case 'messages.produced':
        this.produced.inc({ topic: ev.topic }, ev.count);
        return;
      case 'messages.consumed':
        this.consumed.inc({ topic: ev.topic, group: ev.groupId }, ev.count);
        return;
      case 'group.rebalanced': {
        const protocol = ev.protocol ?? 'classic';
        if (protocol === 'classic' && ev.generation !== null) {
          if (this.generations.get(ev.groupId) === ev.generation) return;
          this.generations.set(ev.groupId, ev.generation);
        }
        this.rebalances.inc({ group: ev.groupId, protocol });
        return;
      }
      default:
        return;
    }
  }

  /** One answered HTTP request. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
