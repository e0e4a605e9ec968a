import type { Evidence } from '../../grading.types';
import { evidence, message, partText } from '../evidence';
import type { Rule } from '../rule';
import type { Change, ConsumerState, GroupState, PartState } from '../world-state';

/** Two members that each got records of one partition the other did not. */
interface Split {
  a: ConsumerState;
  b: ConsumerState;
  part: PartState;
  /** An offset only a got, one only b got. */
  onlyA: number;
  onlyB: number;
  seq: number;
}

/** A record released by one member and delivered again. */
interface Return {
  releasedBy: ConsumerState;
  releasedSeq: number;
  to: ConsumerState;
  part: PartState;
  offset: number;
  deliveryCount: number;
  seq: number;
}

interface ShareGroup {
  split: Split | null;
  back: Return | null;
  /** Released records: partition → offset → who released it and the seq of the share.acknowledged. */
  released: Map<PartState, Map<number, { by: ConsumerState; seq: number }>>;
  /**
   * Records delivered again because a member released them, seen before that release's
   * share.acknowledged: the acknowledgement's answer and the other member's fetch race.
   */
  early: Map<PartState, Map<number, { to: ConsumerState; deliveryCount: number; seq: number }>>;
}

/**
 * In one share group of the student's: two share consumers each received records of one partition the
 * other did not, and a record a member released came back (share.redelivered) with delivery count ≥ 2.
 * Both halves are kept per group; the event that completes the second passes it. A redelivery the
 * server knows was of a released record may be stored just before the release's share.acknowledged
 * (the acknowledgement's answer races the other member's fetch): the pair counts in either order.
 */
export class ShareGroupRule implements Rule {
  readonly id = 'share-group' as const;
  private readonly groups = new Map<GroupState, ShareGroup>();

  check(change: Change): Evidence | null {
    if (change.kind === 'consumed') {
      const c = change.consumer;
      if (c.protocol !== 'share') return null;
      const g = this.group(c.group);
      if (!g.split) g.split = this.split(change.student, c, change.receipt.map((r) => r.part), change.seq);
      return this.passed(g);
    }
    if (change.kind === 'released') {
      const g = this.group(change.consumer.group);
      if (g.back) return null;
      let offsets = g.released.get(change.part);
      if (!offsets) g.released.set(change.part, (offsets = new Map()));
      for (const o of change.offsets) offsets.set(o, { by: change.consumer, seq: change.seq });
      const early = g.early.get(change.part);
      const o = change.offsets.find((x) => early?.has(x));
      if (o === undefined) return null;
      const r = early!.get(o)!;
      this.back(g, { releasedBy: change.consumer, releasedSeq: change.seq, to: r.to, part: change.part, offset: o, deliveryCount: r.deliveryCount, seq: r.seq });
      return this.passed(g);
    }
    if (change.kind === 'redelivered') {
      const g = this.group(change.consumer.group);
      if (g.back) return null;
      const released = g.released.get(change.part);
      const release = released?.get(change.offset);
      // A release is answered by one redelivery: after it the record is no longer waiting to come back.
      if (release) released!.delete(change.offset);
      if (released?.size === 0) g.released.delete(change.part);
      if (change.deliveryCount < 2) return null;
      if (!release) {
        if (change.why === 'released') {
          let early = g.early.get(change.part);
          if (!early) g.early.set(change.part, (early = new Map()));
          early.set(change.offset, { to: change.consumer, deliveryCount: change.deliveryCount, seq: change.seq });
        }
        return null;
      }
      this.back(g, {
        releasedBy: release.by,
        releasedSeq: release.seq,
        to: change.consumer,
        part: change.part,
        offset: change.offset,
        deliveryCount: change.deliveryCount,
        seq: change.seq,
      });
      return this.passed(g);
    }
    return null;
  }

  /** The second half found: the records waiting to come back no longer matter. */
  private back(g: ShareGroup, r: Return): void {
    g.back = r;
    g.released.clear();
    g.early.clear();
  }

  private group(g: GroupState): ShareGroup {
    let s = this.groups.get(g);
    if (!s) this.groups.set(g, (s = { split: null, back: null, released: new Map(), early: new Map() }));
    return s;
  }

  /** Another share member of the group with records of one of `parts` that `c` did not get, and the other way round. */
  private split(student: string, c: ConsumerState, parts: PartState[], seq: number): Split | null {
    for (const part of parts) {
      const mine = c.received.get(part);
      if (!mine) continue;
      for (const d of part.readers.get(student) ?? []) {
        if (d === c || d.group !== c.group || d.protocol !== 'share') continue;
        const theirs = d.received.get(part)!;
        const onlyD = theirs.firstNotIn(mine);
        const onlyC = onlyD === null ? null : mine.firstNotIn(theirs);
        if (onlyD !== null && onlyC !== null) return { a: d, b: c, part, onlyA: onlyD, onlyB: onlyC, seq };
      }
    }
    return null;
  }

  private passed(g: ShareGroup): Evidence | null {
    const { split, back } = g;
    if (!split || !back) return null;
    const { a, b, part } = split;
    // Passed for good: the engine hands this student's changes to the rule no more.
    for (const [group] of this.groups) if (group.members.some((m) => m.owner === a.owner)) this.groups.delete(group);
    return evidence({
      summary:
        `In share group ${a.group.id}, consumers ${a.id} and ${b.id} got different records of ${partText(part)} ` +
        `(offset ${split.onlyA} went only to ${a.id}, offset ${split.onlyB} only to ${b.id}); ` +
        `offset ${back.offset} of ${partText(back.part)}, released by ${back.releasedBy.id}, came back to ${back.to.id} with delivery count ${back.deliveryCount}.`,
      events: [a.startedSeq, b.startedSeq, a.seqOf(part, split.onlyA), b.seqOf(part, split.onlyB), back.releasedSeq, back.seq],
      consumers: [a, b, back.releasedBy, back.to],
      messages: [message(a, part, split.onlyA), message(b, part, split.onlyB), message(back.releasedBy, back.part, back.offset)],
      topics: [part.topic.name, back.part.topic.name],
      groups: [a.group.id],
    });
  }
}
