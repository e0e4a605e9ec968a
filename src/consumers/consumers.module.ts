import { Module } from '@nestjs/common';
import { GroupAdmin } from '../kafka/group-admin';
import { CONSUMER_DIRECTORY } from '../live/consumer-directory';
import { ConsumersController } from './consumers.controller';
import { ConsumersService } from './consumers.service';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

/**
 * Consumer sessions, consumer groups and their rebalance story. Needs the global KafkaModule (with the
 * cluster's BOOTSTRAP_SOURCE), TimelineModule, ClassModule and ConfigModule.
 */
@Module({
  controllers: [ConsumersController, GroupsController],
  providers: [ConsumersService, GroupsService, GroupAdmin, { provide: CONSUMER_DIRECTORY, useExisting: ConsumersService }],
  exports: [ConsumersService, GroupsService, CONSUMER_DIRECTORY],
})
export class ConsumersModule {}
