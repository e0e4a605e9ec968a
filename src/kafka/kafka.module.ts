import { Global, Module } from '@nestjs/common';
import { KafkaService } from './kafka.service';
import { MetadataSnapshot } from './metadata-snapshot';
import { PartitionWatcher } from './partition-watcher';

/** Imports the cluster module's BOOTSTRAP_SOURCE and BROKER_OBSERVER (see ClusterModule). */
@Global()
@Module({
  providers: [MetadataSnapshot, KafkaService, PartitionWatcher],
  exports: [MetadataSnapshot, KafkaService, PartitionWatcher],
})
export class KafkaModule {}
