import { Global, Module } from '@nestjs/common';
import { KafkaService } from './kafka.service';
import { PartitionWatcher } from './partition-watcher';

/** Imports the cluster module's BOOTSTRAP_SOURCE (see ClusterModule). */
@Global()
@Module({
  providers: [KafkaService, PartitionWatcher],
  exports: [KafkaService, PartitionWatcher],
})
export class KafkaModule {}
