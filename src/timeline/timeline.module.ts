import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { LabDatabase } from './lab-database';
import { LiveBus } from './live-bus';
import { TimelineService } from './timeline.service';

/**
 * The record of what happened (SQLite-backed timeline, GET /api/events) and the LiveBus that hands
 * it, as it happens, to the live view (src/live). Every concern that publishes imports it; later
 * concerns keep their tables in the same LabDatabase.
 */
@Module({
  controllers: [EventsController],
  providers: [LabDatabase, LiveBus, TimelineService],
  exports: [LabDatabase, LiveBus, TimelineService],
})
export class TimelineModule {}
