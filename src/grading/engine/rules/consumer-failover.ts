import type { Evidence } from '../../grading.types';
import { evidence, messagesOf, offsetsText, partText } from '../evidence';
import type { Rule } from '../rule';
import type { Change, ConsumerState, GroupState, PartState } from '../world-state';

/** A partition whose member ended while it held it. */
interface Orphan {
  from: ConsumerState;
  endedSeq: number;
}

/** A survivor given an orphaned partition. */
interface Takeover extends Orphan {
  rebalanceSeq: number;
}

/**
 * A member M of the student's group (classic or consumer protocol) ended holding partition p; a member
 * N that was already running before M ended, and still is, was then assigned p and received from it.
 */
export class ConsumerFailoverRule implements Rule {
  readonly id = 'consumer-failover' as const;
  private readonly orphans = new Map<GroupState, Map<PartState, Orphan>>();
  private readonly takeovers = new Map<ConsumerState, Map<PartState, Takeover>>();

  check(change: Change): Evidence | null {
    if (change.kind === 'ended') this.ended(change.consumer, change.finalOwned);
    else if (change.kind === 'rebalanced') this.rebalanced(change.consumer, change.assigned, change.seq);
    else if (change.kind === 'consumed') {
      const n = change.consumer;
      const mine = this.takeovers.get(n);
      if (!mine || !n.alive) return null;
      for (const { part, ranges } of change.receipt) {
        const t = mine.get(part);
        if (!t) continue;
        const m = t.from;
        return evidence({
          summary:
            `Consumer ${m.id} of group ${n.group.id} ${m.endedHow ?? 'ended'} holding ${partText(part)}; ` +
            `consumer ${n.id}, running since before, was assigned it and received ${offsetsText(ranges)} from it.`,
          events: [m.startedSeq, n.startedSeq, t.endedSeq, t.rebalanceSeq, change.seq],
          consumers: [m, n],
          messages: messagesOf(n, part, ranges),
          topics: [part.topic.name],
          groups: [n.group.id],
        });
      }
    }
    return null;
  }

  private ended(m: ConsumerState, held: PartState[]): void {
    if (!failsOver(m) || m.endedSeq === null || held.length === 0) return;
    let orphans = this.orphans.get(m.group);
    if (!orphans) this.orphans.set(m.group, (orphans = new Map()));
    for (const p of held) orphans.set(p, { from: m, endedSeq: m.endedSeq });
    this.takeovers.delete(m);
    // A member that leaves cleanly is out of the group before its end is stored: a survivor may already
    // hold its partitions (assigned while it was leaving). That is the takeover too.
    for (const n of m.group.members) {
      if (n === m || !n.alive || !failsOver(n) || n.owner !== m.owner || n.startedSeq > m.endedSeq) continue;
      for (const p of held) {
        const at = n.assignedAt.get(p);
        if (at !== undefined && n.owned.has(p)) this.takeOver(n, p, { from: m, endedSeq: m.endedSeq }, at);
      }
    }
  }

  private takeOver(n: ConsumerState, p: PartState, o: Orphan, rebalanceSeq: number): void {
    let mine = this.takeovers.get(n);
    if (!mine) this.takeovers.set(n, (mine = new Map()));
    if (!mine.has(p)) mine.set(p, { ...o, rebalanceSeq });
  }

  private rebalanced(n: ConsumerState, assigned: PartState[], seq: number): void {
    const mine = this.takeovers.get(n);
    // Only what it still owns can be read from (an eager rebalance revokes and assigns again what it keeps).
    if (mine) for (const p of [...mine.keys()]) if (!n.owned.has(p)) mine.delete(p);
    const orphans = this.orphans.get(n.group);
    if (!orphans || !n.alive || !failsOver(n)) return;
    for (const p of assigned) {
      const o = orphans.get(p);
      if (o && o.from !== n && o.from.owner === n.owner && n.startedSeq < o.endedSeq) this.takeOver(n, p, o, seq);
    }
  }
}

/** Share groups have no partition owners to fail over. */
function failsOver(c: ConsumerState): boolean {
  return c.protocol !== 'share';
}
