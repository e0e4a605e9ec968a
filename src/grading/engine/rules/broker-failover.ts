import type { Evidence } from '../../grading.types';
import { evidence, message } from '../evidence';
import type { Rule } from '../rule';
import type { Change, DownWrite, PartState } from '../world';

/**
 * A message written while a broker was down, on a partition whose leader changed after that broker
 * went down, received by one of the student's consumers. Whoever stopped the broker (the instructor)
 * and whoever produced, it counts for the student whose consumer read through it.
 */
export class BrokerFailoverRule implements Rule {
  readonly id = 'broker-failover' as const;

  check(change: Change): Evidence | null {
    if (change.kind !== 'consumed') return null;
    const c = change.consumer;
    for (const { part, ranges } of change.receipt) {
      const lastChange = part.leaderChanges[part.leaderChanges.length - 1];
      if (part.downWrites.length === 0 || lastChange === undefined) continue;
      for (const [first, last] of ranges.spans) {
        for (let i = firstEndingAtOrAfter(part.downWrites, first); i < part.downWrites.length && part.downWrites[i].first <= last; i++) {
          const w = part.downWrites[i];
          if (lastChange < w.downSeq) continue;
          const leaderSeq = firstAfter(part, w.downSeq);
          const from = Math.max(first, w.first);
          const to = Math.min(last, w.last);
          const messages = [];
          for (let o = from; o <= to && messages.length < 10; o++) messages.push(message(c, part, o));
          return evidence({
            summary:
              `Broker ${w.nodeId} went down; the leader of topic ${part.topic.name} partition ${part.partition} changed; ` +
              `offsets ${w.first}–${w.last} were written there meanwhile and consumer ${c.id} received offset ${from}.`,
            events: [w.downSeq, leaderSeq, w.seq, c.startedSeq, change.seq],
            consumers: [c],
            messages,
            topics: [part.topic.name],
            groups: [c.group.id],
            nodes: [w.nodeId],
          });
        }
      }
    }
    return null;
  }
}

/** The first write whose last offset is at or after `offset` (writes are in offset order). */
function firstEndingAtOrAfter(writes: readonly DownWrite[], offset: number): number {
  let lo = 0;
  let hi = writes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (writes[mid].last < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The seq of the first leader change of the partition after `seq`. */
function firstAfter(part: PartState, seq: number): number {
  return part.leaderChanges.find((s) => s > seq) ?? 0;
}
