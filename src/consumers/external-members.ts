import { createHash } from 'node:crypto';
import { ownerOfClusterName } from '../class/namespace';
import { PartitionRanges } from '../common/offset-ranges';
import type { LabEvent, NewEvent } from '../timeline/events';
import type { EventScope } from '../timeline/timeline.types';
import { normalizeAssignment, sameAssignment, subtractAssignment, TopicPartitions } from './assignment-diff';

/** A member of a classic group as its coordinator describes it. */
export interface ObservedMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** What it subscribed to (cluster names); its assignment's topics when the metadata was unreadable. */
  topics: string[];
  assignment: TopicPartitions[];
  /** One of the server's own consumers (ConsumersService.consumerIdOf knows it). */
  ours: boolean;
}

/** One look at a group: its members, and its committed offsets when they were read (null: not this time). */
export interface ObservedGroup {
  groupId: string;
  members: ObservedMember[];
  committed: Array<{ topic: string; partition: number; offset: string | null }> | null;
}

/** An event to publish, with its scope. */
export interface Publication {
  event: NewEvent;
  scope: EventScope;
}

/** A partition's earliest offset (null when Kafka cannot tell now). */
export type EarliestOffset = (topic: string, partition: number) => Promise<bigint | null>;

interface External {
  id: string;
  memberId: string;
  clientId: string;
  clientHost: string;
  topics: string[];
  assignment: TopicPartitions[];
}

interface Track {
  /** Its external members as of the last look, by member id. */
  members: Map<string, External>;
  /** Who held each partition (`topic:partition` → member id, ours too) at the last look. */
  holders: Map<string, string>;
  /**
   * The group's committed offsets as last read; null until they are first read. A group the watcher
   * saw appear starts from an empty map: its first commits count from the partition's first offset.
   */
  committed: Map<string, bigint> | null;
}

/** `x-` and 8 hex digits of the member id's SHA-256: the same member keeps its id across the server's looks and restarts. */
export function externalConsumerId(memberId: string): string {
  return `x-${createHash('sha256').update(memberId).digest('hex').slice(0, 8)}`;
}

/** `/127.0.0.1` (how Kafka reports it) → `127.0.0.1`. */
export function hostOf(clientHost: string): string {
  return clientHost.startsWith('/') ? clientHost.slice(1) : clientHost;
}

/**
 * What the server can tell of group members it does not run (kcat -G, kafka-console-consumer), from
 * successive descriptions of their classic groups: each becomes a consumer on the timeline, with the
 * events the server's own consumers have, in the same order, so grading counts it alike:
 * `consumer.started` when it appears, `group.rebalanced` when its assignment changes (generation null:
 * a description does not tell it), `messages.consumed` when its group's committed offsets move on a
 * partition it held (what it read is what it committed), `consumer.stopped` when it is gone. Events
 * come only on a change. Pure but for the earliest offsets it is handed; the watcher (external-watcher.ts)
 * does the looking.
 */
export class ExternalMembers {
  private readonly tracks = new Map<string, Track>();

  /** Whether the group had external members at the last look (then it is looked at on every round). */
  hasExternals(groupId: string): boolean {
    return (this.tracks.get(groupId)?.members.size ?? 0) > 0;
  }

  /** The groups with external members now. */
  groupsWithExternals(): string[] {
    return [...this.tracks].filter(([, t]) => t.members.size > 0).map(([g]) => g);
  }

  /**
   * The topics whose committed offsets a look at the group should read: those its external members
   * read now or did at the last look (what one that left committed last counts too); none for a group
   * without external members, whose commits are not this watcher's business.
   */
  offsetTopics(groupId: string, members: ObservedMember[]): string[] {
    const topics = new Set<string>();
    const add = (m: { topics: string[]; assignment: TopicPartitions[] }) => {
      m.topics.forEach((x) => topics.add(x));
      m.assignment.forEach((tp) => topics.add(tp.topic));
    };
    members.filter((m) => !m.ours).forEach(add);
    this.tracks.get(groupId)?.members.forEach(add);
    return [...topics].sort();
  }

  /**
   * The events one look at a group makes. `appeared`: the watcher saw the group come into being (its
   * first commits are then counted from each partition's first offset; a group that was there before
   * has its commits taken as they are, as nobody can tell who made them).
   */
  async observe(group: ObservedGroup, appeared: boolean, earliest: EarliestOffset): Promise<Publication[]> {
    let t = this.tracks.get(group.groupId);
    const now = group.members.filter((m) => !m.ours);
    if (!t) {
      if (now.length === 0) return [];
      this.tracks.set(group.groupId, (t = { members: new Map(), holders: new Map(), committed: appeared ? new Map() : null }));
    }
    const owner = ownerOfClusterName(group.groupId);
    const nowById = new Map(now.map((m) => [m.memberId, this.external(m, t.members.get(m.memberId))]));
    const holdersNow = new Map<string, string>();
    for (const m of group.members) for (const tp of m.assignment) for (const p of tp.partitions) holdersNow.set(`${tp.topic}:${p}`, m.memberId);

    // What each external member read, by what its group committed: before the change (held at the last look) or after it.
    const before = new Receipts();
    const after = new Receipts();
    if (group.committed) {
      const next = new Map(t.committed ?? []);
      for (const c of group.committed) {
        if (c.offset === null) continue;
        const key = `${c.topic}:${c.partition}`;
        const to = BigInt(c.offset);
        next.set(key, to);
        if (t.committed === null) continue;
        const seen = t.committed.get(key);
        const from = seen !== undefined ? seen : await earliest(c.topic, c.partition);
        if (from === null || to <= from) continue;
        const held = t.holders.get(key);
        if (held !== undefined) {
          const m = t.members.get(held);
          if (m) before.add(m, c.topic, c.partition, from, to - 1n);
        } else {
          const m = nowById.get(holdersNow.get(key) ?? '');
          if (m) after.add(m, c.topic, c.partition, from, to - 1n);
        }
      }
      t.committed = next;
    }

    const out: Publication[] = [];
    out.push(...before.events(owner, group.groupId));
    // Gone: what it held is revoked in its last generation, then it stops, as the server's consumers do.
    for (const m of t.members.values()) {
      if (nowById.has(m.memberId)) continue;
      if (m.assignment.length) out.push(this.rebalanced(owner, group.groupId, m, [], m.assignment, []));
      out.push(this.lifecycle('consumer.stopped', owner, group.groupId, m));
    }
    const started: External[] = [];
    const losing: Publication[] = [];
    const gaining: Publication[] = [];
    for (const m of nowById.values()) {
      const was = t.members.get(m.memberId);
      if (!was) {
        started.push(m);
        continue;
      }
      if (sameAssignment(was.assignment, m.assignment)) continue;
      const assigned = subtractAssignment(m.assignment, was.assignment);
      const revoked = subtractAssignment(was.assignment, m.assignment);
      (revoked.length ? losing : gaining).push(this.rebalanced(owner, group.groupId, m, assigned, revoked, m.assignment));
    }
    // Partitions leave their old holders before a new one is given them (failover reads the story this way).
    out.push(...losing, ...gaining);
    for (const m of started) {
      out.push(this.lifecycle('consumer.started', owner, group.groupId, m));
      if (m.assignment.length) out.push(this.rebalanced(owner, group.groupId, m, m.assignment, [], m.assignment));
    }
    out.push(...after.events(owner, group.groupId));

    t.members = nowById;
    t.holders = holdersNow;
    return out;
  }

  /**
   * Takes up, from the stored timeline (its consumer.started, group.rebalanced and consumer.stopped of
   * external members, in seq order), the members that were there when the server last ran: one still
   * in its group then goes on without a second start (grading would take a second start of the same
   * consumer for another consumer), one gone stops at the first look. Their commits are taken as they
   * are at that look (what was committed meanwhile cannot be told from what was read).
   */
  restore(ev: LabEvent): void {
    const fields = ev as LabEvent & { external?: boolean };
    if (!fields.external || !('consumerId' in ev) || !('groupId' in ev)) return;
    let t = this.tracks.get(ev.groupId);
    if (ev.type === 'consumer.started') {
      if (!t) this.tracks.set(ev.groupId, (t = { members: new Map(), holders: new Map(), committed: null }));
      // Keyed by consumer id until a rebalance names its member id.
      t.members.set(ev.consumerId, { id: ev.consumerId, memberId: ev.consumerId, clientId: ev.clientId ?? '', clientHost: ev.clientHost ?? '', topics: [...(ev.topics ?? [])], assignment: [] });
      return;
    }
    if (!t) return;
    const key = [...t.members.values()].find((m) => m.id === ev.consumerId)?.memberId;
    const m = key === undefined ? undefined : t.members.get(key);
    if (!m || key === undefined) return;
    if (ev.type === 'consumer.stopped') {
      t.members.delete(key);
      for (const [p, holder] of [...t.holders]) if (holder === key) t.holders.delete(p);
      if (t.members.size === 0) this.tracks.delete(ev.groupId);
    } else if (ev.type === 'group.rebalanced') {
      t.members.delete(key);
      const memberId = ev.memberId ?? key;
      m.memberId = memberId;
      m.assignment = normalizeAssignment(ev.owned ?? []);
      t.members.set(memberId, m);
      for (const [p, holder] of [...t.holders]) if (holder === key || holder === memberId) t.holders.delete(p);
      for (const tp of m.assignment) for (const p of tp.partitions) t.holders.set(`${tp.topic}:${p}`, memberId);
    }
  }

  /** The group is gone (no longer listed) or the cluster stopped: its external members stop. */
  forget(groupId: string): Publication[] {
    const t = this.tracks.get(groupId);
    if (!t) return [];
    this.tracks.delete(groupId);
    const owner = ownerOfClusterName(groupId);
    return [...t.members.values()].map((m) => this.lifecycle('consumer.stopped', owner, groupId, m));
  }

  /** Every group's external members stop (the cluster stopped or was reset). */
  forgetAll(): Publication[] {
    return [...this.tracks.keys()].flatMap((g) => this.forget(g));
  }

  /** The member as tracked; its join metadata (topics) as first seen, its assignment as now. */
  private external(m: ObservedMember, was: External | undefined): External {
    const assignment = normalizeAssignment(m.assignment);
    const topics = m.topics.length ? [...m.topics].sort() : assignment.map((tp) => tp.topic);
    return { id: was?.id ?? externalConsumerId(m.memberId), memberId: m.memberId, clientId: m.clientId, clientHost: hostOf(m.clientHost), topics, assignment };
  }

  private lifecycle(type: 'consumer.started' | 'consumer.stopped', owner: string, groupId: string, m: External): Publication {
    const how = type === 'consumer.started' ? { protocol: 'classic' as const, topics: [...m.topics] } : {};
    return {
      event: { type, actor: owner, consumerId: m.id, groupId, ...how, external: true, clientId: m.clientId, clientHost: m.clientHost },
      scope: scopeOf(owner, groupId, m),
    };
  }

  private rebalanced(owner: string, groupId: string, m: External, assigned: TopicPartitions[], revoked: TopicPartitions[], owned: TopicPartitions[]): Publication {
    return {
      event: { type: 'group.rebalanced', actor: 'kafka', groupId, consumerId: m.id, memberId: m.memberId, generation: null, protocol: 'classic', assigned, revoked, owned, external: true },
      scope: scopeOf(owner, groupId, m),
    };
  }
}

function scopeOf(owner: string, groupId: string, m: External): EventScope {
  return { owner, consumerId: m.id, groupId, ...(m.topics.length ? { topic: m.topics[0] } : {}) };
}

/** Offsets read per member and topic, gathered over one look; one messages.consumed each. */
class Receipts {
  private readonly byMember = new Map<string, { m: External; topics: Map<string, { count: bigint; offsets: PartitionRanges }> }>();

  add(m: External, topic: string, partition: number, first: bigint, last: bigint): void {
    let r = this.byMember.get(m.memberId);
    if (!r) this.byMember.set(m.memberId, (r = { m, topics: new Map() }));
    let t = r.topics.get(topic);
    if (!t) r.topics.set(topic, (t = { count: 0n, offsets: new PartitionRanges() }));
    t.count += last - first + 1n;
    t.offsets.add(partition, Number(first), Number(last));
  }

  events(owner: string, groupId: string): Publication[] {
    const out: Publication[] = [];
    for (const { m, topics } of this.byMember.values()) {
      for (const [topic, t] of [...topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        out.push({
          event: { type: 'messages.consumed', actor: 'kafka', consumerId: m.id, groupId, topic, count: Number(t.count), offsets: t.offsets.toJSON(), external: true },
          scope: { ...scopeOf(owner, groupId, m), topic },
        });
      }
    }
    return out;
  }
}
