import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { TimelineService } from '../timeline/timeline.service';
import type { EventScope } from '../timeline/timeline.types';

interface Pending {
  actor: string;
  topic: string;
  scope: EventScope;
  count: number;
  partitions: Record<number, number>;
}

/**
 * Folds every write to a topic by one actor within a second into one `messages.produced` event, so a
 * producer sending 1,000 messages a second adds one event a second to the timeline, not 1,000.
 */
@Injectable()
export class ProduceAggregator implements OnModuleDestroy {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;

  private readonly windowMs = 1000;

  constructor(private readonly timeline: TimelineService) {}

  add(actor: string, topic: string, scope: EventScope, partitions: Record<number, number>): void {
    const k = `${actor}\u0000${topic}`;
    let p = this.pending.get(k);
    if (!p) {
      p = { actor, topic, scope, count: 0, partitions: {} };
      this.pending.set(k, p);
    }
    for (const [part, n] of Object.entries(partitions)) {
      p.partitions[Number(part)] = (p.partitions[Number(part)] ?? 0) + n;
      p.count += n;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.pending.values()) {
      this.timeline.publish({ type: 'messages.produced', actor: p.actor, topic: p.topic, count: p.count, partitions: p.partitions }, p.scope);
    }
    this.pending.clear();
  }

  onModuleDestroy(): void {
    this.flush();
  }
}
