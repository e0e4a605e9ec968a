import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { KafkaModule } from '../kafka/kafka.module';
import { MetadataSnapshot } from '../kafka/metadata-snapshot';
import { TOPIC_DIRECTORY, TopicDirectory } from '../live/topic-directory';
import { TimelineModule } from '../timeline/timeline.module';
import { TopicsController } from './topics.controller';
import { TopicsService } from './topics.service';

/** The live view's TOPIC_DIRECTORY: the latest metadata picture, however old (it is read again every LAB_WATCH_INTERVAL_MS, 500 ms by default, and at each topic create). */
function topicDirectory(snapshot: MetadataSnapshot): TopicDirectory {
  return { exists: (clusterName) => snapshot.topic(clusterName, Infinity) !== undefined };
}

/** Topics: create, describe, delete; their partitions' leaders and ISR come from the kafka module's watcher. */
@Module({
  imports: [KafkaModule, ClusterModule, TimelineModule],
  controllers: [TopicsController],
  providers: [TopicsService, { provide: TOPIC_DIRECTORY, useFactory: topicDirectory, inject: [MetadataSnapshot] }],
  exports: [TopicsService, TOPIC_DIRECTORY],
})
export class TopicsModule {}
