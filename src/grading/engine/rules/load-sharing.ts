import type { Evidence } from '../../grading.types';
import { evidence, messagesOf, offsetsText } from '../evidence';
import type { Rule } from '../rule';
import type { Change, ConsumerState, Receipt, TopicState } from '../world-state';

/**
 * Two of the student's consumers in one group, alive at the same time, each received messages of one
 * topic while the other was running too, and none received a message the other did. A hand-over (one
 * read alone, then the other got its partition) is no sharing: see `sharing`. A pair that ever shared an offset of a topic is
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
      if (!together(c, d) || !sharing(c, d, t, change.seq)) continue;
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

/**
 * At `c`'s receipt (seq `seq`): `d` received from the topic after `c` started, `c` after `d` started,
 * and `d` was reading at the same time, not done: it still holds a partition of the topic, or its last
 * receipt came after `c`'s first (the two reading spells overlap). A share member holds no partitions;
 * there `d` still running is enough (records go to whichever member fetches).
 */
function sharing(c: ConsumerState, d: ConsumerState, t: TopicState, seq: number): boolean {
  const dLast = d.lastReceipt.get(t) ?? 0;
  if (dLast < c.startedSeq || seq < d.startedSeq) return false;
  if (d.protocol === 'share') return d.endedSeq === null || d.endedSeq > seq;
  for (const p of d.owned) if (p.topic === t) return true;
  return dLast > (c.firstReceipt.get(t) ?? seq);
}

/** What a consumer has received of a topic, its first partition with anything. */
function firstReceipt(c: ConsumerState, t: TopicState): Receipt {
  for (const [part, ranges] of c.received) if (part.topic === t && !ranges.empty) return { part, ranges };
  throw new Error(`Consumer ${c.id} has received nothing of topic ${t.name}.`);
}
