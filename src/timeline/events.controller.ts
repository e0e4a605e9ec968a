import { Controller, Get, Query } from '@nestjs/common';
import { Caller } from '../class/auth.guard';
import { presentEvent } from '../class/present';
import { Principal } from '../class/principal';
import { canSee } from '../class/visibility';
import { EventsQueryDto } from './events-query.dto';
import { TimelineService } from './timeline.service';
import type { LabEvent } from './events';

@Controller('events')
export class EventsController {
  constructor(private readonly timeline: TimelineService) {}

  /** The timeline, oldest first; poll with `after=next`. A student sees only what canSee allows, in their own names. */
  @Get()
  list(@Caller() who: Principal, @Query() q: EventsQueryDto): { events: LabEvent[]; next: number } {
    const page = this.timeline.query({ after: q.after, types: q.types, limit: q.limit, visible: (scope) => canSee(who, scope) });
    return { events: page.events.map((ev) => presentEvent(who, ev)), next: page.next };
  }
}
