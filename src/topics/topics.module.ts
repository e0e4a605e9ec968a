import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { KafkaModule } from '../kafka/kafka.module';
import { TimelineModule } from '../timeline/timeline.module';
import { TopicsController } from './topics.controller';
import { TopicsService } from './topics.service';

/** Topics: create, describe, delete; their partitions' leaders and ISR come from the kafka module's watcher. */
@Module({
  imports: [KafkaModule, ClusterModule, TimelineModule],
  controllers: [TopicsController],
  providers: [TopicsService],
  exports: [TopicsService],
})
export class TopicsModule {}
