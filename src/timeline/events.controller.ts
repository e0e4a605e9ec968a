import { Controller, Get, Query } from '@nestjs/common';
import { Caller } from '../class/auth.guard';
import { Principal } from '../class/principal';
import { canSee } from '../class/visibility';
import { EventsQueryDto } from './events-query.dto';
import { TimelineService } from './timeline.service';
import type { LabEvent } from './events';

@Controller('events')
export class EventsController {
  constructor(private readonly timeline: TimelineService) {}

  /** The timeline, oldest first; poll with `after=next`. A student sees only what canSee allows. */
  @Get()
  list(@Caller() who: Principal, @Query() q: EventsQueryDto): { events: LabEvent[]; next: number } {
    return this.timeline.query({ after: q.after, types: q.types, limit: q.limit, visible: (scope) => canSee(who, scope) });
  }
}
