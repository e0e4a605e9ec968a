import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { KafkaModule } from '../kafka/kafka.module';
import { TimelineModule } from '../timeline/timeline.module';
import { TopicsModule } from '../topics/topics.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { ProduceAggregator } from './produce-aggregator';

/** Producing messages (and reading them back), on topics the topics module knows. */
@Module({
  imports: [TopicsModule, KafkaModule, ClusterModule, TimelineModule],
  controllers: [MessagesController],
  providers: [MessagesService, ProduceAggregator],
})
export class MessagesModule {}
