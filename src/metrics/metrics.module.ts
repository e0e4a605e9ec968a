import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ClusterModule } from '../cluster/cluster.module';
import { ConsumersModule } from '../consumers/consumers.module';
import { KafkaModule } from '../kafka/kafka.module';
import { TimelineModule } from '../timeline/timeline.module';
import { GroupLag } from './group-lag';
import { HttpLatencyInterceptor } from './http-latency.interceptor';
import { MetricsAccessGuard } from './metrics-access.guard';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** GET /metrics for Prometheus (API.md "Metrics") and the HTTP latency it reports. */
@Module({
  imports: [TimelineModule, ClusterModule, KafkaModule, ConsumersModule],
  controllers: [MetricsController],
  providers: [MetricsService, GroupLag, MetricsAccessGuard, { provide: APP_INTERCEPTOR, useClass: HttpLatencyInterceptor }],
})
export class MetricsModule {}
