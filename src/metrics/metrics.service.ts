import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ClusterService } from '../cluster/cluster.service';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { ConsumersService } from '../consumers/consumers.service';
import { MetadataSnapshot } from '../kafka/metadata-snapshot';
import { LabGateway } from '../live/live.gateway';
import { LiveBus } from '../timeline/live-bus';
import { GroupLag } from './group-lag';
import { LabMetrics } from './lab-metrics';

/** The server's LabMetrics: fed by the LiveBus, read from the cluster, Kafka, consumer and live services. */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  readonly metrics: LabMetrics;
  private off: (() => void) | null = null;
  private gateway: LabGateway | null | undefined;

  constructor(
    @Inject(LAB_CONFIG) config: LabConfig,
    private readonly bus: LiveBus,
    cluster: ClusterService,
    snapshot: MetadataSnapshot,
    consumers: ConsumersService,
    lag: GroupLag,
    private readonly moduleRef: ModuleRef,
  ) {
    // Partition figures from a snapshot at most a few polls old; older means the cluster is not answering.
    const maxAgeMs = Math.max(5000, config.watchIntervalMs * 4);
    this.metrics = new LabMetrics({
      nodes: () => { const v = cluster.view(); return [...v.controllers, ...v.brokers]; },
      metadata: () => snapshot.current(maxAgeMs),
      consumers: () => consumers.all(),
      sockets: () => this.liveGateway()?.connectedClients ?? 0,
      lag: () => lag.read(),
    });
  }

  onModuleInit(): void {
    this.off = this.bus.on('event', (ev) => this.metrics.observeEvent(ev));
  }

  onModuleDestroy(): void {
    this.off?.();
  }

  text(): Promise<string> {
    return this.metrics.text();
  }

  /** The live module's gateway, looked up once it exists (an app built without the live view has none). */
  private liveGateway(): LabGateway | null {
    if (this.gateway === undefined) {
      try {
        this.gateway = this.moduleRef.get(LabGateway, { strict: false });
      } catch {
        return null;
      }
    }
    return this.gateway ?? null;
  }
}
