import type { Evidence } from '../../grading.types';
import { evidence, messagesOf, offsetsText, partText } from '../evidence';
import type { Rule } from '../rule';
import type { Change, ConsumerState, PartState } from '../world-state';

/** A partition a member held through another member's rebalance. */
interface Kept {
  /** The rebalance of the other member, and a partition it moved. */
  seq: number;
  mover: ConsumerState;
  moved: PartState;
}

/**
 * In a consumer-protocol group of the student's, member B's rebalance moved a partition while member A
 * held partition q (before it, and without losing it since), and A then received from q: the
 * incremental protocol let A read on through someone else's change. Classic groups revoke everything
 * at every rebalance and never pass.
 */
export class IncrementalRebalanceRule implements Rule {
  readonly id = 'incremental-rebalance' as const;
  private readonly kept = new Map<ConsumerState, Map<PartState, Kept>>();

  check(change: Change): Evidence | null {
    if (change.kind === 'rebalanced') {
      const b = change.consumer;
      const mine = this.kept.get(b);
      // What it lost it no longer keeps.
      if (mine) for (const p of change.revoked) mine.delete(p);
      const moved = change.assigned[0] ?? change.revoked[0];
      if (b.protocol !== 'consumer' || !moved) return null;
      for (const a of b.group.members) {
        if (a === b || !a.alive || a.owner !== change.student || a.protocol !== 'consumer' || a.owned.size === 0) continue;
        let kept = this.kept.get(a);
        if (!kept) this.kept.set(a, (kept = new Map()));
        for (const q of a.owned) if (!kept.has(q)) kept.set(q, { seq: change.seq, mover: b, moved });
      }
      return null;
    }
    if (change.kind === 'ended') {
      this.kept.delete(change.consumer);
      return null;
    }
    if (change.kind !== 'consumed') return null;
    const a = change.consumer;
    const kept = this.kept.get(a);
    if (!kept) return null;
    for (const { part, ranges } of change.receipt) {
      const k = kept.get(part);
      if (!k || !a.owned.has(part)) continue;
      return evidence({
        summary:
          `In consumer-protocol group ${a.group.id}, consumer ${k.mover.id}'s rebalance moved ${partText(k.moved)} ` +
          `while consumer ${a.id} kept ${partText(part)} and then received ${offsetsText(ranges)} from it.`,
        events: [a.startedSeq, k.mover.startedSeq, k.seq, change.seq],
        consumers: [a, k.mover],
        messages: messagesOf(a, part, ranges),
        topics: [...new Set([part.topic.name, k.moved.topic.name])],
        groups: [a.group.id],
      });
    }
    return null;
  }
}
