import type { Evidence } from '../../grading.types';
import { evidence, message } from '../evidence';
import type { Rule } from '../rule';
import type { World } from '../world';
import { BrokerDown, Change, ConsumerState, PartState, TopicState, visibleTo } from '../world-state';

/** What a consumer must read back of one topic: per partition, everything written before it started. */
interface Target {
  topic: TopicState;
  down: BrokerDown;
  /** One past the last offset written before the consumer started, per partition that had messages. */
  ends: Map<PartState, number>;
  /** Partitions not yet read in full. */
  missing: Set<PartState>;
  /**
   * The first and the last messages.produced before the consumer started that the student may be
   * shown (their own and unowned ones: another student's writes to a shared topic count, unshown);
   * 0 when there is none.
   */
  firstWrite: number;
  lastWrite: number;
}

/**
 * A broker went down while a topic already had messages; a consumer of the student's started after
 * that and received, for every partition of the topic, every offset from 0 up to the end written
 * before the consumer started. The target is fixed at the consumer's start; its receipts tick
 * partitions off.
 */
export class NoDataLossRule implements Rule {
  readonly id = 'no-data-loss' as const;
  private readonly targets = new Map<ConsumerState, Target[]>();

  check(change: Change, world: World): Evidence | null {
    if (change.kind === 'started') {
      const down = world.lastBrokerDown;
      if (!down) return null;
      const targets: Target[] = [];
      for (const name of change.consumer.topics) {
        const topic = world.topic(name);
        if (topic.firstProducedSeq === null || topic.firstProducedSeq > down.seq || topic.lastProducedSeq === null) continue;
        const ends = new Map<PartState, number>();
        for (const part of topic.parts.values()) if (part.end > 0) ends.set(part, part.end);
        if (ends.size === 0) continue;
        let firstWrite = 0;
        let lastWrite = 0;
        for (const [owner, w] of topic.writers) {
          if (!visibleTo(change.student, owner)) continue;
          if (firstWrite === 0 || w.first < firstWrite) firstWrite = w.first;
          lastWrite = Math.max(lastWrite, w.last);
        }
        targets.push({ topic, down, ends, missing: new Set(ends.keys()), firstWrite, lastWrite });
      }
      if (targets.length) this.targets.set(change.consumer, targets);
      return null;
    }
    if (change.kind !== 'consumed') return null;
    const c = change.consumer;
    const target = this.targets.get(c)?.find((t) => t.topic === change.topic);
    if (!target) return null;
    for (const { part } of change.receipt) {
      const end = target.ends.get(part);
      if (end !== undefined && target.missing.has(part) && c.received.get(part)?.covers(0, end - 1)) target.missing.delete(part);
    }
    if (target.missing.size) return null;
    this.targets.delete(c);
    const parts = [...target.ends].sort((a, b) => a[0].partition - b[0].partition);
    const total = parts.reduce((n, [, end]) => n + end, 0);
    const produced: Record<string, number> = {};
    for (const [part, end] of parts) produced[String(part.partition)] = end;
    const listed = parts.slice(0, 6).map(([part, end]) => `partition ${part.partition} offsets 0–${end - 1}`);
    return evidence({
      summary:
        `Broker ${target.down.nodeId} went down after topic ${target.topic.name} had messages; consumer ${c.id}, started after, ` +
        `received all ${total} messages written to it before it started (${listed.join(', ')}${parts.length > 6 ? ', …' : ''}).`,
      events: [target.firstWrite, target.down.seq, target.lastWrite, c.startedSeq, change.seq],
      consumers: [c],
      // The last message of each partition: the end it reached.
      messages: parts.map(([part, end]) => message(c, part, end - 1)),
      topics: [target.topic.name],
      groups: [c.group.id],
      nodes: [target.down.nodeId],
      produced,
    });
  }
}
