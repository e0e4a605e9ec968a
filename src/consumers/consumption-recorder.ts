import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { fromClusterName } from '../class/namespace';
import { INSTRUCTOR_ID } from '../class/principal';
import { PartitionRanges } from '../common/offset-ranges';
import { LabMessage, LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import type { EventScope } from '../timeline/timeline.types';

interface Reader {
  groupId: string;
  scope: EventScope;
  /**
   * The cluster's name of each topic it reads, by the name its owner knows it by: messages carry the
   * owner's names, the timeline keeps the cluster's (grading matches receipts to rebalances and writes).
   */
  clusterNames: Map<string, string>;
  /** What it received since the last flush, per cluster topic. */
  pending: Map<string, { count: number; offsets: PartitionRanges }>;
}

/** How long receipts gather before they are stored as one event per consumer and topic. */
const WINDOW_MS = 1000;

/**
 * Puts what every consumer received on the timeline as `messages.consumed` events: offsets as ranges,
 * about one event a second per reading consumer rather than one per record, so grading can prove from
 * the stored timeline alone (after a restart too) which consumer got which topic/partition/offset.
 * A consumer's receipts are stored before any other event that names it (its rebalances, acks, stop),
 * so "received after the rebalance" on the timeline means what it says.
 */
@Injectable()
export class ConsumptionRecorder implements OnModuleDestroy {
  private readonly readers = new Map<string, Reader>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly off: Array<() => void> = [];

  constructor(
    private readonly timeline: TimelineService,
    bus: LiveBus,
  ) {
    this.off.push(
      bus.on('event', (ev, scope) => {
        if (ev.type === 'consumer.started') {
          const owner = scope?.owner ?? INSTRUCTOR_ID;
          const who = { id: owner, role: owner === INSTRUCTOR_ID ? ('instructor' as const) : ('student' as const) };
          const clusterNames = new Map((ev.topics ?? []).map((t) => [fromClusterName(who, t) ?? t, t]));
          this.readers.set(ev.consumerId, { groupId: ev.groupId, scope: { ...scope, consumerId: ev.consumerId, groupId: ev.groupId }, clusterNames, pending: new Map() });
        } else if ((ev.type === 'consumer.stopped' || ev.type === 'consumer.killed') && !this.dirty.has(ev.consumerId)) {
          // Flushed before this event was stored (the hook below); nothing more will come.
          this.readers.delete(ev.consumerId);
        }
      }),
      bus.on('messages', (consumerId, _owner, messages) => this.received(consumerId, messages)),
    );
    timeline.beforePublish((type, fields) => {
      if (type === 'messages.consumed' || this.dirty.size === 0) return;
      const id = fields.consumerId;
      if (typeof id === 'string' && this.dirty.has(id)) this.flushOne(id);
      // A rebalance concerns every member of the group: what the others received before it is stored
      // ahead of it too, so "received after the step" (incremental-rebalance) means after it.
      if (type === 'group.rebalanced') {
        for (const other of [...this.dirty]) if (this.readers.get(other)?.groupId === fields.groupId) this.flushOne(other);
      }
    });
  }

  private received(consumerId: string, messages: readonly LabMessage[]): void {
    const r = this.readers.get(consumerId);
    if (!r || messages.length === 0) return;
    for (const m of messages) {
      const topic = r.clusterNames.get(m.topic) ?? m.topic;
      let t = r.pending.get(topic);
      if (!t) r.pending.set(topic, (t = { count: 0, offsets: new PartitionRanges() }));
      t.count += 1;
      t.offsets.add(m.partition, Number(m.offset));
    }
    this.dirty.add(consumerId);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), WINDOW_MS);
      this.timer.unref();
    }
  }

  /** Stores everything received and not yet on the timeline. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const id of [...this.dirty]) this.flushOne(id);
  }

  private flushOne(consumerId: string): void {
    this.dirty.delete(consumerId);
    const r = this.readers.get(consumerId);
    if (!r) return;
    const pending = [...r.pending];
    r.pending.clear();
    for (const [topic, t] of pending) {
      this.timeline.publish(
        { type: 'messages.consumed', actor: 'kafka', consumerId, groupId: r.groupId, topic, count: t.count, offsets: t.offsets.toJSON() },
        { ...r.scope, topic },
      );
    }
  }

  onModuleDestroy(): void {
    this.flush();
    for (const off of this.off) off();
  }
}
