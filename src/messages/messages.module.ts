import { Module } from '@nestjs/common';
import { TopicsModule } from '../topics/topics.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { ProduceAggregator } from './produce-aggregator';

@Module({
  imports: [TopicsModule],
  controllers: [MessagesController],
  providers: [MessagesService, ProduceAggregator],
})
export class MessagesModule {}
