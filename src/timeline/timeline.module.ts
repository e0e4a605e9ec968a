import { Global, Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { LabDatabase } from './lab-database';
import { LabGateway } from './lab.gateway';
import { LiveBus } from './live-bus';
import { TimelineService } from './timeline.service';

/**
 * The record of what happened (SQLite-backed timeline, GET /api/events) and the live view of it
 * (socket.io namespace /lab). Global: every concern publishes to the timeline and the LiveBus, and
 * later concerns keep their tables in the same LabDatabase.
 */
@Global()
@Module({
  controllers: [EventsController],
  providers: [LabDatabase, LiveBus, TimelineService, LabGateway],
  exports: [LabDatabase, LiveBus, TimelineService],
})
export class TimelineModule {}
