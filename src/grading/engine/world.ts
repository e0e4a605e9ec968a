import { STUDENT_ID_PATTERN, studentPrefix } from '../../class/namespace';
import { RangeSet } from '../../common/offset-ranges';
import type { EventTopicPartitions, LabEvent, LabEventOf, OffsetRanges } from '../../timeline/events';
import type { EventScope } from '../../timeline/timeline.types';

/**
 * What grading knows of the class's cluster, kept from the timeline alone: topics (one object per
 * incarnation, so offset 0 of a re-created topic is never the old one's), the consumers of students
 * with what each received, groups, brokers that are down, and where writes landed. Each event updates
 * only what it names, and tells the rules what happened (a Change) so they look at that and nothing else.
 */

/** One incarnation of a topic: a topic.created, topic.deleted or cluster.reset starts a new one. */
export class TopicState {
  readonly parts = new Map<number, PartState>();
  /** The seq of the first and the last messages.produced of this incarnation (null: none yet). */
  firstProducedSeq: number | null = null;
  lastProducedSeq: number | null = null;

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

/** A write made while a broker was down (broker-failover). */
export interface DownWrite {
  first: number;
  last: number;
  /** The messages.produced that says so. */
  seq: number;
  /** The earliest node-down event among the brokers down then, and its node. */
  downSeq: number;
  nodeId: number;
}

export class PartState {
  /** One past the highest offset written (messages.produced). */
  end = 0;
  /** Seqs of partition.leader-changed events, ascending. */
  readonly leaderChanges: number[] = [];
  /** Writes made while a broker was down, in offset order (offsets only grow within an incarnation). */
  readonly downWrites: DownWrite[] = [];
  /** Students' consumers that received from it, per student. */
  readonly readers = new Map<string, ConsumerState[]>();

  constructor(
    readonly topic: TopicState,
    readonly partition: number,
  ) {}
}

export type Protocol = 'classic' | 'consumer' | 'share';

export class ConsumerState {
  endedSeq: number | null = null;
  endedHow: 'stopped' | 'killed' | 'crashed' | null = null;
  readonly owned = new Set<PartState>();
  /** The seq of the rebalance that last assigned it each partition. */
  readonly assignedAt = new Map<PartState, number>();
  /** What a rebalance that left it nothing had taken (a member's last step before it ends), until it is given more. */
  emptied: PartState[] | null = null;
  readonly received = new Map<PartState, RangeSet>();
  /** Per partition, flat triples [seq, first, last] of every messages.consumed range: which event said an offset arrived. */
  readonly log = new Map<PartState, number[]>();
  /** Seq of its first messages.consumed per topic incarnation. */
  readonly firstReceipt = new Map<TopicState, number>();

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

  /** The seq of the messages.consumed that brought `offset` of `part` (0 when none did). */
  seqOf(part: PartState, offset: number): number {
    const log = this.log.get(part) ?? [];
    for (let i = 0; i < log.length; i += 3) if (log[i + 1] <= offset && offset <= log[i + 2]) return log[i];
    return 0;
  }
}

export class GroupState {
  /** Every consumer that was ever a member (ended ones too), in the order they started. */
  readonly members: ConsumerState[] = [];
  constructor(readonly id: string) {}
}

/** What one event did, for the rules: `seq` is the event's, `student` whose it is (never the instructor). */
export type Change =
  | { seq: number; kind: 'topic-created'; student: string; topic: TopicState; replicationFactor: number }
  | { seq: number; kind: 'started'; student: string; consumer: ConsumerState }
  | { seq: number; kind: 'ended'; student: string; consumer: ConsumerState; finalOwned: PartState[] }
  | { seq: number; kind: 'rebalanced'; student: string; consumer: ConsumerState; assigned: PartState[]; revoked: PartState[] }
  | { seq: number; kind: 'consumed'; student: string; consumer: ConsumerState; topic: TopicState; receipt: Receipt[] }
  | { seq: number; kind: 'released'; student: string; consumer: ConsumerState; part: PartState; offsets: number[] }
  | { seq: number; kind: 'redelivered'; student: string; consumer: ConsumerState; part: PartState; offset: number; deliveryCount: number; why: string | undefined };

/** What one messages.consumed brought of one partition. */
export interface Receipt {
  part: PartState;
  ranges: RangeSet;
}

export interface BrokerDown {
  nodeId: number;
  seq: number;
}

const ENDS = { 'consumer.stopped': 'stopped', 'consumer.killed': 'killed', 'consumer.crashed': 'crashed' } as const;

export function isStudent(owner: string | undefined): owner is string {
  return owner !== undefined && STUDENT_ID_PATTERN.test(owner);
}

export class World {
  private readonly topics = new Map<string, TopicState>();
  readonly consumers = new Map<string, ConsumerState>();
  private readonly groups = new Map<string, GroupState>();
  /** Brokers down now: node id → seq of the event that took it down. */
  readonly brokersDown = new Map<number, number>();
  /** The last time a broker went down (no-data-loss looks back to it). */
  lastBrokerDown: BrokerDown | null = null;

  /** The current incarnation of a topic (one made before the timeline saw it starts here). */
  topic(name: string): TopicState {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = new TopicState(name, null)));
    return t;
  }

  group(id: string): GroupState {
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = new GroupState(id)));
    return g;
  }

  apply(ev: LabEvent, scope: EventScope): Change | null {
    switch (ev.type) {
      case 'topic.created': {
        const t = new TopicState(ev.topic, ev.partitions, ev.seq);
        this.topics.set(ev.topic, t);
        return isStudent(scope.owner) ? { seq: ev.seq, kind: 'topic-created', student: scope.owner, topic: t, replicationFactor: ev.replicationFactor } : null;
      }
      case 'topic.deleted':
        this.topics.delete(ev.topic);
        return null;
      case 'cluster.reset':
        this.topics.clear();
        this.brokersDown.clear();
        return null;
      case 'cluster.stopped':
        this.brokersDown.clear();
        return null;
      case 'node.stopped':
      case 'node.killed':
      case 'node.crashed':
      case 'node.paused':
        if (ev.role === 'broker' && !this.brokersDown.has(ev.nodeId)) {
          this.brokersDown.set(ev.nodeId, ev.seq);
          this.lastBrokerDown = { nodeId: ev.nodeId, seq: ev.seq };
        }
        return null;
      case 'node.started':
      case 'node.resumed':
        this.brokersDown.delete(ev.nodeId);
        return null;
      case 'partition.leader-changed':
        this.topic(ev.topic).part(ev.partition).leaderChanges.push(ev.seq);
        return null;
      case 'messages.produced':
        this.produced(ev);
        return null;
      case 'consumer.started':
        return this.started(ev, scope);
      case 'consumer.stopped':
      case 'consumer.killed':
      case 'consumer.crashed':
        return this.ended(ev, ENDS[ev.type]);
      case 'consumer.recovered': {
        // A new member under the same consumer id: it lives again (its crash stays on the record).
        const c = this.consumers.get(ev.consumerId);
        if (c) {
          c.endedSeq = null;
          c.endedHow = null;
        }
        return null;
      }
      case 'group.rebalanced':
        return this.rebalanced(ev, scope);
      case 'messages.consumed':
        return this.consumed(ev, scope);
      case 'share.acknowledged': {
        const c = this.consumer(ev.consumerId, ev.groupId, scope, ev.seq);
        if (ev.ackType !== 'release' || !isStudent(c.owner)) return null;
        const offsets = ev.offsets.map(Number).filter(Number.isSafeInteger);
        return { seq: ev.seq, kind: 'released', student: c.owner, consumer: c, part: this.topic(ev.topic).part(ev.partition), offsets };
      }
      case 'share.redelivered': {
        const c = this.consumer(ev.consumerId, ev.groupId, scope, ev.seq);
        const offset = Number(ev.offset);
        if (!isStudent(c.owner) || !Number.isSafeInteger(offset)) return null;
        return { seq: ev.seq, kind: 'redelivered', student: c.owner, consumer: c, part: this.topic(ev.topic).part(ev.partition), offset, deliveryCount: ev.deliveryCount, why: ev.why };
      }
      default:
        return null;
    }
  }

  private produced(ev: LabEventOf<'messages.produced'>): void {
    const t = this.topic(ev.topic);
    t.firstProducedSeq ??= ev.seq;
    t.lastProducedSeq = ev.seq;
    // The earliest of the brokers down now: a leader change after it is one this outage could cause.
    let down: { nodeId: number; seq: number } | null = null;
    for (const [nodeId, seq] of this.brokersDown) if (!down || seq < down.seq) down = { nodeId, seq };
    for (const [p, ranges] of partitionsOf(ev.offsets)) {
      const part = t.part(p);
      for (const [first, last] of ranges.spans) {
        part.end = Math.max(part.end, last + 1);
        if (down) insertByOffset(part.downWrites, { first, last, seq: ev.seq, downSeq: down.seq, nodeId: down.nodeId });
      }
    }
    // Without offsets (acks 0, or stored before offsets were recorded) only the counts are known.
    if (!ev.offsets) for (const p of Object.keys(ev.partitions ?? {})) if (Number.isSafeInteger(Number(p))) t.part(Number(p));
  }

  private started(ev: LabEventOf<'consumer.started'>, scope: EventScope): Change | null {
    const g = this.group(ev.groupId);
    const c = new ConsumerState(ev.consumerId, scope.owner, g, ev.protocol, ev.topics ?? (scope.topic ? [scope.topic] : []), ev.seq);
    this.consumers.set(c.id, c);
    g.members.push(c);
    return isStudent(c.owner) ? { seq: ev.seq, kind: 'started', student: c.owner, consumer: c } : null;
  }

  /** The consumer an event names; one the timeline never saw start is taken as starting here. */
  private consumer(id: string, groupId: string, scope: EventScope, seq: number): ConsumerState {
    let c = this.consumers.get(id);
    if (!c) {
      const g = this.group(groupId);
      c = new ConsumerState(id, scope.owner, g, undefined, scope.topic ? [scope.topic] : [], seq);
      this.consumers.set(id, c);
      g.members.push(c);
    }
    return c;
  }

  private ended(ev: LabEventOf<'consumer.stopped' | 'consumer.killed' | 'consumer.crashed'>, how: 'stopped' | 'killed' | 'crashed'): Change | null {
    const c = this.consumers.get(ev.consumerId);
    if (!c || !c.alive) return null;
    c.endedSeq = ev.seq;
    c.endedHow = how;
    // A member's partitions are revoked (a group.rebalanced) just before it ends: what it held is what that took.
    const finalOwned = c.owned.size ? [...c.owned] : (c.emptied ?? []);
    c.owned.clear();
    c.emptied = null;
    return isStudent(c.owner) ? { seq: ev.seq, kind: 'ended', student: c.owner, consumer: c, finalOwned } : null;
  }

  private rebalanced(ev: LabEventOf<'group.rebalanced'>, scope: EventScope): Change | null {
    const c = this.consumer(ev.consumerId, ev.groupId, scope, ev.seq);
    const assigned = this.parts(ev.assigned);
    const revoked = this.parts(ev.revoked);
    const before = [...c.owned];
    if (ev.owned) {
      c.owned.clear();
      for (const p of this.parts(ev.owned)) c.owned.add(p);
    } else {
      for (const p of revoked) c.owned.delete(p);
      for (const p of assigned) c.owned.add(p);
    }
    for (const p of assigned) c.assignedAt.set(p, ev.seq);
    if (c.owned.size) c.emptied = null;
    else if (before.length) c.emptied = before;
    return isStudent(c.owner) ? { seq: ev.seq, kind: 'rebalanced', student: c.owner, consumer: c, assigned, revoked } : null;
  }

  private consumed(ev: LabEventOf<'messages.consumed'>, scope: EventScope): Change | null {
    const c = this.consumer(ev.consumerId, ev.groupId, scope, ev.seq);
    // Only students are graded: the instructor's receipts need not be kept.
    if (!isStudent(c.owner)) return null;
    const t = this.topic(clusterTopicOf(c, ev.topic));
    const receipt: Receipt[] = [];
    for (const [p, ranges] of partitionsOf(ev.offsets)) {
      if (ranges.empty) continue;
      const part = t.part(p);
      let set = c.received.get(part);
      if (!set) {
        c.received.set(part, (set = new RangeSet()));
        let readers = part.readers.get(c.owner);
        if (!readers) part.readers.set(c.owner, (readers = []));
        readers.push(c);
      }
      set.addAll(ranges);
      let log = c.log.get(part);
      if (!log) c.log.set(part, (log = []));
      for (const [first, last] of ranges.spans) log.push(ev.seq, first, last);
      receipt.push({ part, ranges });
    }
    if (receipt.length === 0) return null;
    if (!c.firstReceipt.has(t)) c.firstReceipt.set(t, ev.seq);
    return { seq: ev.seq, kind: 'consumed', student: c.owner, consumer: c, topic: t, receipt };
  }

  private parts(list: readonly EventTopicPartitions[] | undefined): PartState[] {
    const out: PartState[] = [];
    for (const tp of list ?? []) {
      const t = this.topic(tp.topic);
      for (const p of tp.partitions) out.push(t.part(p));
    }
    return out;
  }
}

/**
 * A receipt's topic as the cluster names it. Receipts of a student's own topic were stored for a while
 * under the student's name for it (without the prefix); the consumer's start lists the cluster names.
 */
function clusterTopicOf(c: ConsumerState, topic: string): string {
  if (!isStudent(c.owner) || c.topics.includes(topic)) return topic;
  const prefixed = studentPrefix(c.owner) + topic;
  return c.topics.includes(prefixed) ? prefixed : topic;
}

/**
 * An event's `offsets`, per partition number, ascending (an object's integer keys are enumerated in
 * ascending order). Called for every write and receipt, so it walks the object without copying it.
 */
function partitionsOf(offsets: OffsetRanges | undefined): Array<[number, RangeSet]> {
  const out: Array<[number, RangeSet]> = [];
  for (const key in offsets) {
    const p = Number(key);
    const pairs = offsets[key];
    if (Number.isSafeInteger(p) && p >= 0 && Array.isArray(pairs)) out.push([p, RangeSet.fromJSON(pairs)]);
  }
  return out;
}

/** Keeps writes in offset order: two producers' events of one second may interleave their offsets. */
function insertByOffset(list: DownWrite[], w: DownWrite): void {
  let i = list.length;
  while (i > 0 && list[i - 1].first > w.first) i--;
  list.splice(i, 0, w);
}
