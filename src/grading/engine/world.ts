import { RangeSet } from '../../common/offset-ranges';
import type { EventTopicPartitions, LabEvent, LabEventOf, OffsetRanges } from '../../timeline/events';
import type { EventScope } from '../../timeline/timeline.types';
import { BrokerDown, Change, ConsumerState, DownWrite, GroupState, isStudent, Outage, PartState, Receipt, ReceiptLog, TopicState, Written } from './world-state';

/**
 * What grading knows of the class's cluster, kept from the timeline alone: topics (one object per
 * incarnation, so offset 0 of a re-created topic is never the old one's), the consumers of students
 * with what each received, groups, brokers that are down, and where writes landed. Each event updates
 * only what it names, and tells the rules what happened (a Change) so they look at that and nothing else.
 * The state classes are in world-state.ts.
 */

const ENDS = { 'consumer.stopped': 'stopped', 'consumer.killed': 'killed', 'consumer.crashed': 'crashed' } as const;

export class World {
  private readonly topics = new Map<string, TopicState>();
  readonly consumers = new Map<string, ConsumerState>();
  private readonly groups = new Map<string, GroupState>();
  /** Brokers down now, by node id. */
  private readonly brokersDown = new Map<number, Outage>();
  /** The outages on now, a new array whenever that changes (a run of writes is of one such list). */
  private down: readonly Outage[] = [];
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
        this.brokersUp(ev.seq);
        return null;
      case 'cluster.stopped':
        this.brokersUp(ev.seq);
        return null;
      case 'node.stopped':
      case 'node.killed':
      case 'node.crashed':
      case 'node.paused':
        if (ev.role === 'broker' && !this.brokersDown.has(ev.nodeId)) {
          const o: Outage = { nodeId: ev.nodeId, downSeq: ev.seq, upSeq: null };
          this.brokersDown.set(ev.nodeId, o);
          this.down = [...this.down, o];
          this.lastBrokerDown = { nodeId: ev.nodeId, seq: ev.seq };
        }
        return null;
      case 'node.started':
      case 'node.resumed':
        this.brokersUp(ev.seq, ev.nodeId);
        return null;
      case 'partition.leader-changed': {
        const part = this.topic(ev.topic).part(ev.partition);
        part.leaderChanges.push(ev.seq);
        // Writes of an outage and their receipts may be on the timeline before the leader change is.
        return part.downWrites.length && part.readers.size ? { seq: ev.seq, kind: 'leader-changed', student: '', part } : null;
      }
      case 'messages.produced':
        return this.produced(ev, scope);
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
          c.generation = undefined;
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

  /** Outages end: one node's (its node.started/resumed), or every one (the cluster's reset or stop). */
  private brokersUp(seq: number, nodeId?: number): void {
    for (const o of this.down) if (nodeId === undefined || o.nodeId === nodeId) o.upSeq = seq;
    if (nodeId === undefined) this.brokersDown.clear();
    else if (!this.brokersDown.delete(nodeId)) return;
    this.down = this.down.filter((o) => o.upSeq === null);
  }

  private produced(ev: LabEventOf<'messages.produced'>, scope: EventScope): Change | null {
    const t = this.topic(ev.topic);
    t.firstProducedSeq ??= ev.seq;
    t.lastProducedSeq = ev.seq;
    const owner = scope.owner ?? '';
    const mine = t.writers.get(owner);
    if (mine) mine.last = ev.seq;
    else t.writers.set(owner, { first: ev.seq, last: ev.seq });
    const writes: Written[] = [];
    let read = false;
    for (const [p, ranges] of partitionsOf(ev.offsets)) {
      const part = t.part(p);
      for (const [first, last] of ranges.spans) {
        part.end = Math.max(part.end, last + 1);
        if (this.down.length === 0) continue;
        writes.push({ part, run: this.downWrite(part, first, last, owner, ev.seq), first, last });
        read ||= part.readers.size > 0;
      }
    }
    // Without offsets (acks 0, or stored before offsets were recorded) only the counts are known.
    if (!ev.offsets) for (const p of Object.keys(ev.partitions ?? {})) if (Number.isSafeInteger(Number(p))) t.part(Number(p));
    // A receipt may be stored before the write it read (each is flushed about once a second, by
    // different parts of the server): the rules look for receipts already there.
    return read ? { seq: ev.seq, kind: 'written', student: '', writes } : null;
  }

  /** Adds a write made during the outages on now to its partition's runs, joining the run it touches. */
  private downWrite(part: PartState, first: number, last: number, owner: string, seq: number): DownWrite {
    const runs = part.downWrites;
    // Offsets only grow within an incarnation, but two producers' events of one second may interleave.
    let i = runs.length;
    while (i > 0 && runs[i - 1].first > first) i--;
    const before = runs[i - 1];
    let run: DownWrite;
    if (before && before.outages === this.down && before.last + 1 >= first) {
      run = before;
      run.last = Math.max(run.last, last);
    } else {
      run = { first, last, outages: this.down, writers: new Map() };
      runs.splice(i, 0, run);
    }
    const after = runs[i + (run === before ? 0 : 1)];
    if (after && after.outages === run.outages && run.last + 1 >= after.first) {
      run.last = Math.max(run.last, after.last);
      for (const [w, x] of after.writers) if (!run.writers.has(w)) run.writers.set(w, x);
      runs.splice(runs.indexOf(after), 1);
    }
    if (!run.writers.has(owner)) run.writers.set(owner, { seq, first, last });
    return run;
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
    // What it held is what its leave revoked, provided nothing else of its group came in between (see rebalanced).
    const left = c.emptied && c.group.lastSeq === c.lastRebalanceSeq ? c.emptied : [];
    const finalOwned = c.owned.size ? [...c.owned] : left;
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
    // What a member held when it ended is what the revocation of its leave took: the sessions revoke
    // everything right before consumer.stopped/killed/crashed (the two are published together), in the
    // generation (classic) or member epoch (consumer protocol) the member already had, since no new
    // join or step came with it. A rebalance that left it nothing in a NEW generation (an eager
    // rebalance giving its partitions to a member that joined) is not a leave: the member stays, idle,
    // and holds nothing when it later ends. A classic join that never learnt its generation reports
    // null, which differs from the one before unless that was unknown too; and a consumer-protocol
    // step that only revokes may keep the epoch until the coordinator bumps it. So the leave must also
    // be the last thing of its group before the end (ended): a partition that moved because of another
    // member shows as that member's rebalance, or its receipts, in between.
    const leave = assigned.length === 0 && before.length > 0 && c.owned.size === 0 && c.generation !== undefined && ev.generation === c.generation;
    c.emptied = leave ? before : null;
    c.lastRebalanceSeq = ev.seq;
    c.generation = ev.generation;
    c.group.lastSeq = ev.seq;
    return isStudent(c.owner) ? { seq: ev.seq, kind: 'rebalanced', student: c.owner, consumer: c, assigned, revoked } : null;
  }

  private consumed(ev: LabEventOf<'messages.consumed'>, scope: EventScope): Change | null {
    const c = this.consumer(ev.consumerId, ev.groupId, scope, ev.seq);
    // Only students are graded: the instructor's receipts need not be kept.
    if (!isStudent(c.owner)) return null;
    const t = this.topic(ev.topic);
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
      if (!log) c.log.set(part, (log = new ReceiptLog()));
      for (const [first, last] of ranges.spans) log.add(ev.seq, first, last);
      receipt.push({ part, ranges });
    }
    if (receipt.length === 0) return null;
    if (!c.firstReceipt.has(t)) c.firstReceipt.set(t, ev.seq);
    c.lastReceipt.set(t, ev.seq);
    c.group.lastSeq = ev.seq;
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
