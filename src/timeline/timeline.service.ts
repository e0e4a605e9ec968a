import { Injectable } from '@nestjs/common';
import { LiveBus } from './live-bus';
import { EventScope, EventType, LabEvent, NewEvent } from './timeline.types';

export interface TimelineQuery {
  after?: number;
  types?: EventType[];
  limit?: number;
  /** Only events this predicate accepts (visibility per principal). */
  visible?: (scope: EventScope) => boolean;
}

/**
 * The record of everything that happened on the lab. Placeholder in-memory store; the persistent
 * SQLite store replaces the arrays (same interface).
 */
@Injectable()
export class TimelineService {
  private seq = 0;
  private readonly events: Array<{ ev: LabEvent; scope: EventScope }> = [];

  constructor(private readonly bus: LiveBus) {}

  publish(input: NewEvent, scope: EventScope = {}): LabEvent {
    const ev = { ...input, seq: ++this.seq, time: new Date().toISOString() } as LabEvent;
    this.events.push({ ev, scope });
    this.bus.emit('event', ev, scope);
    return ev;
  }

  query(q: TimelineQuery): { events: LabEvent[]; next: number } {
    const limit = q.limit ?? 1000;
    const out: LabEvent[] = [];
    for (const { ev, scope } of this.events) {
      if (ev.seq <= (q.after ?? 0)) continue;
      if (q.types && !q.types.includes(ev.type)) continue;
      if (q.visible && !q.visible(scope)) continue;
      out.push(ev);
      if (out.length >= limit) break;
    }
    return { events: out, next: out.length ? out[out.length - 1].seq : q.after ?? 0 };
  }
}
