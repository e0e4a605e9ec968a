import { Global, Module } from '@nestjs/common';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { BOOTSTRAP_SOURCE, BROKER_OBSERVER } from '../kafka/cluster-link';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';
import { CLUSTER_DRIVER } from './drivers/cluster-driver';
import { createDriver } from './drivers/driver.factory';
import { HealthController } from './health.controller';
import { RuntimeController } from './runtime.controller';

@Global()
@Module({
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
