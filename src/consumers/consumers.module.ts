import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { KafkaModule } from '../kafka/kafka.module';
import { CONSUMER_DIRECTORY } from '../live/consumer-directory';
import { TimelineModule } from '../timeline/timeline.module';
import { ConsumersController } from './consumers.controller';
import { ConsumersService } from './consumers.service';
import { ConsumptionRecorder } from './consumption-recorder';
import { ExternalWatcher } from './external-watcher';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

/** Consumer sessions, consumer groups and their rebalance story, members the server does not run (ExternalWatcher); the live view's CONSUMER_DIRECTORY. */
@Module({
  imports: [KafkaModule, TimelineModule, ClusterModule],
  controllers: [ConsumersController, GroupsController],
  providers: [ConsumersService, GroupsService, ConsumptionRecorder, ExternalWatcher, { provide: CONSUMER_DIRECTORY, useExisting: ConsumersService }],
  exports: [ConsumersService, GroupsService, CONSUMER_DIRECTORY],
})
export class ConsumersModule {}
