import type { Evidence } from '../../grading.types';
import { evidence, messagesOf, offsetsText } from '../evidence';
import type { Rule } from '../rule';
import type { Change, ConsumerState, Receipt, TopicState } from '../world';

/**
 * Two of the student's consumers in one group, alive at the same time, each received messages of one
 * topic and none received a message the other did. A pair that ever shared an offset of a topic is
 * remembered as such: checking each receipt against the other's set finds every common offset, at
 * whichever of the two receipts came later.
 */
export class LoadSharingRule implements Rule {
  readonly id = 'load-sharing' as const;
  /** Per topic incarnation, the pairs (`idA\0idB`) that received a message in common. */
  private readonly shared = new Map<TopicState, Set<string>>();

  check(change: Change): Evidence | null {
    if (change.kind !== 'consumed') return null;
    const c = change.consumer;
    const t = change.topic;
    for (const d of c.group.members) {
      if (d === c || d.owner !== change.student || !d.firstReceipt.has(t)) continue;
      const pair = c.id < d.id ? `${c.id}\u0000${d.id}` : `${d.id}\u0000${c.id}`;
      let shared = this.shared.get(t);
      if (shared?.has(pair)) continue;
      if (change.receipt.some(({ part, ranges }) => d.received.get(part)?.intersects(ranges))) {
        if (!shared) this.shared.set(t, (shared = new Set()));
        shared.add(pair);
        continue;
      }
      if (!together(c, d)) continue;
      const mine = change.receipt[0];
      const theirs = firstReceipt(d, t);
      return evidence({
        summary:
          `Consumers ${d.id} and ${c.id} of group ${c.group.id} ran together and shared topic ${t.name}: ` +
          `${d.id} received partition ${theirs.part.partition} ${offsetsText(theirs.ranges)}, ` +
          `${c.id} partition ${mine.part.partition} ${offsetsText(mine.ranges)}; no message went to both.`,
        events: [d.startedSeq, c.startedSeq, d.firstReceipt.get(t) ?? 0, change.seq],
        consumers: [d, c],
        messages: [...messagesOf(d, theirs.part, theirs.ranges, 5), ...messagesOf(c, mine.part, mine.ranges, 5)],
        topics: [t.name],
        groups: [c.group.id],
      });
    }
    return null;
  }
}

/** Neither ended before the other started. */
function together(a: ConsumerState, b: ConsumerState): boolean {
  return a.startedSeq < (b.endedSeq ?? Infinity) && b.startedSeq < (a.endedSeq ?? Infinity);
}

/** What a consumer has received of a topic, its first partition with anything. */
function firstReceipt(c: ConsumerState, t: TopicState): Receipt {
  for (const [part, ranges] of c.received) if (part.topic === t && !ranges.empty) return { part, ranges };
  throw new Error(`Consumer ${c.id} has received nothing of topic ${t.name}.`);
}
