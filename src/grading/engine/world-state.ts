import { STUDENT_ID_PATTERN } from '../../class/namespace';
import { canSee } from '../../class/visibility';
import type { RangeSet } from '../../common/offset-ranges';

/**
 * The state classes of the world model (world.ts folds events into them): one object per topic
 * incarnation, partition, consumer, group and broker outage, and what one event changed (a Change).
 * Everything here is bounded by the things of the class (topics, partitions, consumers, outages), not
 * by how many events named them: a write or a receipt updates ranges and counters in place.
 */

/** One incarnation of a topic: a topic.created, topic.deleted or cluster.reset starts a new one. */
export class TopicState {
  readonly parts = new Map<number, PartState>();
  /** The seq of the first and the last messages.produced of this incarnation (null: none yet). */
  firstProducedSeq: number | null = null;
  lastProducedSeq: number | null = null;
  /**
   * The first and the last messages.produced per scope owner ('' for writes nobody owns, the
   * instructor's): a student may be shown only their own writes and the unowned ones.
   */
  readonly writers = new Map<string, { first: number; last: number }>();

  constructor(
    readonly name: string,
    /** From its topic.created; null when it was made before the timeline saw it. */
    readonly partitionCount: number | null,
    /** The seq of its topic.created (0: made before the timeline saw it). */
    readonly createdSeq = 0,
  ) {}

  part(partition: number): PartState {
    let p = this.parts.get(partition);
    if (!p) this.parts.set(partition, (p = new PartState(this, partition)));
    return p;
  }
}

/** A broker down: from its node-down event until its node.started/resumed, or the cluster's reset or stop. */
export interface Outage {
  nodeId: number;
  downSeq: number;
  /** null while it is still down. */
  upSeq: number | null;
}

/** The first write of one writer (scope owner, '' for nobody) within a run of writes. */
export interface RunWrite {
  seq: number;
  first: number;
  last: number;
}

/**
 * Writes made while brokers were down (broker-failover): adjacent offsets written during the same
 * outages are one run, however many messages.produced wrote them, so a long outage under a steady
 * producer is one entry per partition. Per writer the run keeps its first write: the events a student
 * can be shown (their own writes and the unowned ones, never another student's).
 */
export interface DownWrite {
  first: number;
  last: number;
  /** The brokers down during these writes (the world's list of that moment, shared, never changed). */
  outages: readonly Outage[];
  writers: Map<string, RunWrite>;
}

export class PartState {
  /** One past the highest offset written (messages.produced). */
  end = 0;
  /** Seqs of partition.leader-changed events, ascending. */
  readonly leaderChanges: number[] = [];
  /** Runs of writes made while a broker was down, in offset order, never touching within one outage. */
  readonly downWrites: DownWrite[] = [];
  /** Students' consumers that received from it, per student. */
  readonly readers = new Map<string, ConsumerState[]>();

  constructor(
    readonly topic: TopicState,
    readonly partition: number,
  ) {}

  /** The seq of the first leader change of the partition after `after` and before `before` (0: none). */
  leaderChangeBetween(after: number, before: number | null): number {
    const l = this.leaderChanges;
    let lo = 0;
    let hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (l[mid] <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo < l.length && (before === null || l[lo] < before) ? l[lo] : 0;
  }
}

/**
 * Which messages.consumed brought which offsets, for the evidence (a rule cites the receipt of the
 * offset it names). Bounded: the first HEAD receipts of a partition and the last RECENT. The first ones
 * hold where a consumer started reading (a second group reading from the beginning meets them), the
 * recent ones what it reads now (a write stored after its receipt finds it there); a receipt in
 * between is still counted in `received`, only its seq is no longer known.
 */
export class ReceiptLog {
  static readonly HEAD = 16;
  static readonly RECENT = 16;
  /** Flat triples [seq, first, last]. */
  private readonly head: number[] = [];
  private readonly recent: number[] = [];
  /** Where the next recent triple goes once `recent` is full (a ring). */
  private next = 0;

  add(seq: number, first: number, last: number): void {
    if (this.head.length < ReceiptLog.HEAD * 3) {
      this.head.push(seq, first, last);
      return;
    }
    if (this.recent.length < ReceiptLog.RECENT * 3) {
      this.recent.push(seq, first, last);
      return;
    }
    this.recent[this.next] = seq;
    this.recent[this.next + 1] = first;
    this.recent[this.next + 2] = last;
    this.next = (this.next + 3) % (ReceiptLog.RECENT * 3);
  }

  /** How many receipts it knows. */
  get size(): number {
    return (this.head.length + this.recent.length) / 3;
  }

  /** The seq of the receipt that brought `offset` (0 when unknown). */
  seqOf(offset: number): number {
    return findSeq(this.head, offset) || findSeq(this.recent, offset);
  }

  /** A known receipt with an offset of `set`: its seq and the lowest such offset. */
  within(set: RangeSet): { seq: number; offset: number } | null {
    return findWithin(this.head, set) ?? findWithin(this.recent, set);
  }
}

function findSeq(log: number[], offset: number): number {
  for (let i = 0; i < log.length; i += 3) if (log[i + 1] <= offset && offset <= log[i + 2]) return log[i];
  return 0;
}

function findWithin(log: number[], set: RangeSet): { seq: number; offset: number } | null {
  for (let i = 0; i < log.length; i += 3) {
    for (const [a, b] of set.spans) {
      const from = Math.max(a, log[i + 1]);
      if (from <= Math.min(b, log[i + 2])) return { seq: log[i], offset: from };
    }
  }
  return null;
}

export type Protocol = 'classic' | 'consumer' | 'share';

export class ConsumerState {
  endedSeq: number | null = null;
  endedHow: 'stopped' | 'killed' | 'crashed' | null = null;
  readonly owned = new Set<PartState>();
  /** The seq of the rebalance that last assigned it each partition. */
  readonly assignedAt = new Map<PartState, number>();
  /** The generation (classic) or member epoch of its last group.rebalanced; undefined before the first. */
  generation: number | null | undefined = undefined;
  /** What the revocation of its leave took (the member's last step before it ends), until it is given more. */
  emptied: PartState[] | null = null;
  /** The seq of its last group.rebalanced. */
  lastRebalanceSeq = 0;
  readonly received = new Map<PartState, RangeSet>();
  readonly log = new Map<PartState, ReceiptLog>();
  /** Seq of its first and its last messages.consumed per topic incarnation. */
  readonly firstReceipt = new Map<TopicState, number>();
  readonly lastReceipt = new Map<TopicState, number>();

  constructor(
    readonly id: string,
    readonly owner: string | undefined,
    readonly group: GroupState,
    readonly protocol: Protocol | undefined,
    readonly topics: readonly string[],
    readonly startedSeq: number,
  ) {}

  get alive(): boolean {
    return this.endedSeq === null;
  }

  /** The seq of the messages.consumed that brought `offset` of `part` (0 when unknown). */
  seqOf(part: PartState, offset: number): number {
    return this.log.get(part)?.seqOf(offset) ?? 0;
  }
}

export class GroupState {
  /** Every consumer that was ever a member (ended ones too), in the order they started. */
  readonly members: ConsumerState[] = [];
  /** The seq of the last group.rebalanced or messages.consumed of any member (0: none yet). */
  lastSeq = 0;
  constructor(readonly id: string) {}
}

/** What one messages.consumed brought of one partition. */
export interface Receipt {
  part: PartState;
  ranges: RangeSet;
}

/** What one messages.produced wrote while brokers were down, per partition: the run it joined. */
export interface Written {
  part: PartState;
  run: DownWrite;
  first: number;
  last: number;
}

/**
 * What one event did, for the rules: `seq` is the event's, `student` whose it is (never the
 * instructor). A write while brokers are down and a leader change are nobody's: the world gives them
 * with `student` empty and the engine hands them on once per student whose consumers read those
 * partitions.
 */
export type Change =
  | { seq: number; kind: 'topic-created'; student: string; topic: TopicState; replicationFactor: number }
  | { seq: number; kind: 'started'; student: string; consumer: ConsumerState }
  | { seq: number; kind: 'ended'; student: string; consumer: ConsumerState; finalOwned: PartState[] }
  | { seq: number; kind: 'rebalanced'; student: string; consumer: ConsumerState; assigned: PartState[]; revoked: PartState[] }
  | { seq: number; kind: 'consumed'; student: string; consumer: ConsumerState; topic: TopicState; receipt: Receipt[] }
  | { seq: number; kind: 'written'; student: string; writes: Written[] }
  | { seq: number; kind: 'leader-changed'; student: string; part: PartState }
  | { seq: number; kind: 'released'; student: string; consumer: ConsumerState; part: PartState; offsets: number[] }
  | { seq: number; kind: 'redelivered'; student: string; consumer: ConsumerState; part: PartState; offset: number; deliveryCount: number; why: string | undefined };

export interface BrokerDown {
  nodeId: number;
  seq: number;
}

export function isStudent(owner: string | undefined): owner is string {
  return owner !== undefined && STUDENT_ID_PATTERN.test(owner);
}

/** Whether a student may be shown an event whose scope owner is `owner` ('' for nobody): what GET /api/events shows them. */
export function visibleTo(student: string, owner: string): boolean {
  return canSee({ id: student, role: 'student' }, { owner });
}
