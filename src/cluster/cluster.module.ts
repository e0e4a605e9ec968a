import { Module } from '@nestjs/common';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { BOOTSTRAP_SOURCE, BROKER_OBSERVER } from '../kafka/cluster-link';
import { TimelineModule } from '../timeline/timeline.module';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';
import { CLUSTER_DRIVER } from './drivers/cluster-driver';
import { createDriver } from './drivers/driver.factory';
import { HealthController } from './health.controller';
import { RuntimeController } from './runtime.controller';

/**
 * The cluster's nodes and their lifecycle. Provides the kafka module's BOOTSTRAP_SOURCE and
 * BROKER_OBSERVER; tells the timeline what happens to nodes.
 */
@Module({
  imports: [TimelineModule],
  controllers: [ClusterController, HealthController, RuntimeController],
  providers: [
    { provide: CLUSTER_DRIVER, useFactory: (c: LabConfig) => createDriver(c), inject: [LAB_CONFIG] },
    ClusterService,
    { provide: BOOTSTRAP_SOURCE, useExisting: ClusterService },
    { provide: BROKER_OBSERVER, useExisting: ClusterService },
  ],
  exports: [ClusterService, BOOTSTRAP_SOURCE, BROKER_OBSERVER],
})
export class ClusterModule {}
