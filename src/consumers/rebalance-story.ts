import { isEmptyAssignment, normalizeAssignment, sameAssignment, TopicPartitions } from './assignment-diff';
import { Progress } from './partition-progress';

/** GROUP_JOIN carries no generation: wait this long for a heartbeat that does. */
export const GENERATION_WAIT_MS = 1500;

/** Who this member is in which generation: what commits are sent as. */
export interface MemberGeneration {
  memberId: string;
  generation: number;
}

export interface RebalanceStoryEvents {
  /** One group.rebalanced: what this member gained and lost since the last one it told. */
  rebalanced(memberId: string | null, generation: number | null, assigned: TopicPartitions[], revoked: TopicPartitions[]): void;
  /**
   * The member's generation is known: commits may be sent as it. `afterJoin` when it is the generation
   * of a join just settled (what was kept through the rebalance can be committed now).
   */
  generation(member: MemberGeneration, afterJoin: boolean): void;
}

/**
 * The rebalance story of one member: each join becomes one group.rebalanced (eager: everything held
 * revoked, the new set assigned, once its generation is known), nothing is shown between REBALANCING
 * and the next join, and what was shown already is not shown again after a rejoin (kafkajs restarts
 * from the last commit).
 */
export class RebalanceStory {
  memberId: string | null = null;
  /** The assignment as the client last reported it (what GET shows). */
  assignment: TopicPartitions[] = [];
  /** Per assigned partition (`topic:partition`): where showing stands and since when. */
  readonly progress = new Map<string, Progress>();
  /** The assignment as of the last group.rebalanced: what the next one revokes. */
  private published: TopicPartitions[] = [];
  private lastGeneration: number | null = null;
  private pending: { memberId: string; next: TopicPartitions[]; timer: NodeJS.Timeout } | null = null;
  /** Between REBALANCING and the next join nothing is shown: this generation can no longer commit it. */
  private gated = false;

  constructor(private readonly events: RebalanceStoryEvents) {}

  /** Whether a batch may be shown now. */
  get open(): boolean {
    return !this.gated;
  }

  /** The group started rebalancing: nothing is shown until this member joins again. */
  rebalancing(): void {
    this.gated = true;
  }

  /** A new incarnation of the member starts with the gate open. */
  restart(): void {
    this.gated = false;
  }

  /**
   * A join. The group.rebalanced it makes waits for its generation: given now, told by the next
   * heartbeat, or given up on after GENERATION_WAIT_MS (told without one).
   */
  joined(memberId: string, assignment: Record<string, number[]>, generation: number | null, now = Date.now()): void {
    // A join that never learnt its generation is told now, before the next one is taken.
    if (this.pending) this.settle(null);
    const next = normalizeAssignment(assignment);
    this.gated = false;
    this.memberId = memberId;
    this.assignment = next;
    this.track(next, now);
    const timer = setTimeout(() => this.settle(null), GENERATION_WAIT_MS);
    timer.unref?.();
    this.pending = { memberId, next, timer };
    if (generation !== null) this.settle(generation);
  }

  heartbeat(memberId: string, generation: number): void {
    if (memberId === this.memberId && !this.pending) this.events.generation({ memberId, generation }, false);
    if (this.pending && this.pending.memberId === memberId) this.settle(generation);
  }

  /** The member is gone (stop, kill, crash): everything it had is revoked. */
  revokeAll(): void {
    if (this.pending) this.settle(null);
    const revoked = this.published;
    this.published = [];
    this.assignment = [];
    if (isEmptyAssignment(revoked)) return;
    this.events.rebalanced(this.memberId, this.lastGeneration, [], revoked);
  }

  /** The next offset not yet shown of a partition (`topic:partition`), or null when nothing was. */
  shownUpTo(key: string): bigint | null {
    return this.progress.get(key)?.next ?? null;
  }

  /** Records up to `next` (exclusive) were shown. */
  shown(key: string, next: bigint, now = Date.now()): void {
    this.progress.set(key, { next, since: now });
  }

  /** The assigned partitions, `topic:partition`. */
  assignedKeys(): string[] {
    return this.assignment.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}:${p}`));
  }

  /** Every assigned partition with something shown, and the offset after the last shown. */
  positions(): Array<{ topic: string; partition: number; next: bigint }> {
    return this.assignment.flatMap((tp) =>
      tp.partitions.flatMap((partition) => {
        const next = this.progress.get(`${tp.topic}:${partition}`)?.next ?? null;
        return next === null ? [] : [{ topic: tp.topic, partition, next }];
      }),
    );
  }

  /** A new assignment: partitions kept keep their position; every one gets a fresh grace period. */
  private track(next: TopicPartitions[], now: number): void {
    const keys = new Set(next.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}:${p}`)));
    for (const k of [...this.progress.keys()]) if (!keys.has(k)) this.progress.delete(k);
    for (const k of keys) this.progress.set(k, { next: this.progress.get(k)?.next ?? null, since: now });
  }

  /** Tells the pending join's group.rebalanced, unless it changed nothing (a rejoin of the same generation and partitions). */
  private settle(generation: number | null): void {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = null;
    const changed = !sameAssignment(this.published, pending.next);
    const newGeneration = generation !== null && generation !== this.lastGeneration;
    if (generation !== null) {
      this.lastGeneration = generation;
      this.events.generation({ memberId: pending.memberId, generation }, true);
    }
    const held = this.published;
    this.published = pending.next;
    if (!changed && !newGeneration) return;
    // Eager, as the classic protocol (and kcat's log) does it: a rebalance revokes everything the member
    // held and assigns its whole new set, so what it keeps shows on both sides (API.md).
    this.events.rebalanced(pending.memberId, generation, pending.next, held);
  }
}
