import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { TimelineModule } from '../timeline/timeline.module';
import { AclAdmin } from './acl-admin';
import { GroupAdmin } from './group-admin';
import { KafkaService } from './kafka.service';
import { MetadataSnapshot } from './metadata-snapshot';
import { PartitionWatcher } from './partition-watcher';
import { TopicAdmin } from './topic-admin';

/**
 * Everything that talks to Kafka. Needs the cluster module's BOOTSTRAP_SOURCE and BROKER_OBSERVER
 * (src/kafka/cluster-link.ts: tokens, so neither module uses the other's classes) and the timeline
 * (the watcher's leader and ISR events).
 */
@Module({
  imports: [ClusterModule, TimelineModule],
  providers: [MetadataSnapshot, KafkaService, PartitionWatcher, GroupAdmin, TopicAdmin, AclAdmin],
  exports: [MetadataSnapshot, KafkaService, PartitionWatcher, GroupAdmin, TopicAdmin, AclAdmin],
})
export class KafkaModule {}
