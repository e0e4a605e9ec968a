import { studentPrefix } from '../../src/class/namespace';
import { GradingEngine } from '../../src/grading/engine/grading-engine';
import type { Passed } from '../../src/grading/grading.types';
import type { EventTopicPartitions, LabEvent, NewEvent, OffsetRanges } from '../../src/timeline/events';
import type { EventScope } from '../../src/timeline/timeline.types';

/** Offsets as tests write them: `{ 0: [[0, 9]] }` → `{ "0": [["0", "9"]] }`. */
export type Ranges = Record<number, Array<[number, number]>>;
/** Partitions as tests write them: `{ t: [0, 1] }`. */
export type Assignment = Record<string, number[]>;

interface Member {
  owner: string;
  groupId: string;
  topics: string[];
  protocol: 'classic' | 'consumer' | 'share';
  owned: Assignment;
  /** Of its last group.rebalanced (0: none yet). */
  generation: number;
}

/**
 * Synthetic timelines for the grading engine, with the fields and scopes the real publishers give:
 * consumer events scoped `{owner, consumerId, groupId, topic}` (consumer-base.ts), receipts with
 * `{...that, topic}` (consumption-recorder.ts), topic and partition events `{topic, owner?}` (no owner
 * for the instructor's topics: topics.service.ts, partition-watcher.ts), node and cluster events
 * unscoped (cluster.service.ts), writes scoped to the producing student (messages.service.ts). A
 * consumer's end revokes what it owns first, as the sessions do (revokeAll before consumer.stopped),
 * in the generation it has; every other rebalance step of a member comes with a new one.
 */
export class Timeline {
  readonly events: Array<{ ev: LabEvent; scope: EventScope }> = [];
  private readonly members = new Map<string, Member>();
  private clock = Date.parse('2026-12-02T11:00:00.000Z');

  /** A student's cluster name (`s-<id>.<name>`); the instructor's names are the cluster's. */
  static name(owner: string, name: string): string {
    return owner === 'instructor' ? name : studentPrefix(owner) + name;
  }

  get lastSeq(): number {
    return this.events.length;
  }

  publish(input: NewEvent, scope: EventScope = {}): LabEvent {
    this.clock += 250;
    const ev = { seq: this.events.length + 1, time: new Date(this.clock).toISOString(), ...input } as LabEvent;
    this.events.push({ ev, scope });
    return ev;
  }

  topicCreated(owner: string, topic: string, partitions: number, replicationFactor: number): LabEvent {
    return this.publish({ type: 'topic.created', actor: owner, topic, partitions, replicationFactor }, this.topicScope(topic, owner));
  }

  topicDeleted(owner: string, topic: string, partitions: number, replicationFactor: number): LabEvent {
    return this.publish({ type: 'topic.deleted', actor: owner, topic, partitions, replicationFactor }, this.topicScope(topic, owner));
  }

  started(owner: string, consumerId: string, groupId: string, topics: string[], protocol: Member['protocol'] = 'classic', fromBeginning = true): LabEvent {
    this.members.set(consumerId, { owner, groupId, topics, protocol, owned: {}, generation: 0 });
    return this.publish({ type: 'consumer.started', actor: owner, consumerId, groupId, protocol, topics, fromBeginning }, this.scope(consumerId));
  }

  /**
   * A rebalance step of one member: `owned` is given as the sessions give it (what it holds after).
   * A join or step brings a new generation; the revocation of a leave (`leave`) keeps the member's.
   */
  rebalanced(consumerId: string, assigned: Assignment, revoked: Assignment = {}, leave = false): LabEvent {
    const m = this.member(consumerId);
    if (!leave) m.generation++;
    const owned: Assignment = {};
    for (const [t, ps] of Object.entries(m.owned)) owned[t] = ps.filter((p) => !(revoked[t] ?? []).includes(p));
    for (const [t, ps] of Object.entries(assigned)) owned[t] = [...new Set([...(owned[t] ?? []), ...ps])].sort((a, b) => a - b);
    m.owned = Object.fromEntries(Object.entries(owned).filter(([, ps]) => ps.length));
    return this.publish(
      { type: 'group.rebalanced', actor: 'kafka', groupId: m.groupId, consumerId, memberId: `${consumerId}-member`, generation: m.generation, protocol: m.protocol, assigned: tps(assigned), revoked: tps(revoked), owned: tps(m.owned) },
      this.scope(consumerId),
    );
  }

  /** What the member got, about a second's worth (one event per consumer and topic). */
  consumed(consumerId: string, topic: string, offsets: Ranges): LabEvent {
    const m = this.member(consumerId);
    const count = Object.values(offsets).flat().reduce((n, [a, b]) => n + b - a + 1, 0);
    return this.publish({ type: 'messages.consumed', actor: 'kafka', consumerId, groupId: m.groupId, topic, count, offsets: ranges(offsets) }, { ...this.scope(consumerId), topic });
  }

  /** Writes by `actor` (a student or the instructor), scoped as messages.service does. */
  produced(actor: string, topic: string, offsets: Ranges): LabEvent {
    const partitions: Record<string, number> = {};
    for (const [p, rs] of Object.entries(offsets)) partitions[p] = rs.reduce((n, [a, b]) => n + b - a + 1, 0);
    const count = Object.values(partitions).reduce((a, b) => a + b, 0);
    const owner = topic.startsWith('s-') ? topic.slice(2, 8) : actor === 'instructor' ? undefined : actor;
    return this.publish({ type: 'messages.produced', actor, topic, count, partitions, offsets: ranges(offsets) }, { topic, ...(owner ? { owner } : {}) });
  }

  /** The member ends; what it owned is revoked just before, as the sessions do. */
  ended(consumerId: string, how: 'consumer.stopped' | 'consumer.killed' | 'consumer.crashed', actor?: string): LabEvent {
    const m = this.member(consumerId);
    if (Object.keys(m.owned).length) this.rebalanced(consumerId, {}, m.owned, true);
    return this.publish({ type: how, actor: actor ?? (how === 'consumer.crashed' ? 'kafka' : m.owner), consumerId, groupId: m.groupId }, this.scope(consumerId));
  }

  node(type: 'node.stopped' | 'node.killed' | 'node.crashed' | 'node.paused' | 'node.started' | 'node.resumed', nodeId: number, actor = 'instructor'): LabEvent {
    return this.publish({ type, actor, nodeId, role: 'broker' });
  }

  leaderChanged(topic: string, partition: number, from: number | null, to: number | null): LabEvent {
    const owner = topic.startsWith('s-') ? topic.slice(2, 8) : undefined;
    return this.publish({ type: 'partition.leader-changed', actor: 'kafka', topic, partition, from, to }, { topic, ...(owner ? { owner } : {}) });
  }

  acknowledged(consumerId: string, topic: string, partition: number, offsets: number[], ackType: 'accept' | 'release' | 'reject'): LabEvent {
    const m = this.member(consumerId);
    return this.publish({ type: 'share.acknowledged', actor: m.owner, consumerId, groupId: m.groupId, topic, partition, offsets: offsets.map(String), ackType }, this.scope(consumerId));
  }

  redelivered(consumerId: string, topic: string, partition: number, offset: number, deliveryCount: number, why?: 'released' | 'lock expired' | 'member left'): LabEvent {
    const m = this.member(consumerId);
    return this.publish({ type: 'share.redelivered', actor: 'kafka', consumerId, groupId: m.groupId, topic, partition, offset: String(offset), deliveryCount, ...(why ? { why } : {}) }, this.scope(consumerId));
  }

  /** Every event through a fresh engine: the engine and every pass in the order they came. */
  grade(engine = new GradingEngine()): { engine: GradingEngine; passes: Passed[] } {
    const passes: Passed[] = [];
    for (const { ev, scope } of this.events) passes.push(...engine.apply(ev, scope));
    return { engine, passes };
  }

  private member(consumerId: string): Member {
    const m = this.members.get(consumerId);
    if (!m) throw new Error(`The timeline has no consumer ${consumerId}: start it first.`);
    return m;
  }

  private scope(consumerId: string): EventScope {
    const m = this.member(consumerId);
    return { owner: m.owner, consumerId, groupId: m.groupId, topic: m.topics[0] };
  }

  private topicScope(topic: string, owner: string): EventScope {
    return owner === 'instructor' ? { topic } : { topic, owner };
  }
}

function tps(a: Assignment): EventTopicPartitions[] {
  return Object.entries(a)
    .filter(([, ps]) => ps.length)
    .map(([topic, ps]) => ({ topic, partitions: [...ps].sort((x, y) => x - y) }));
}

function ranges(r: Ranges): OffsetRanges {
  const out: OffsetRanges = {};
  for (const [p, rs] of Object.entries(r)) out[p] = rs.map(([a, b]) => [String(a), String(b)]);
  return out;
}
