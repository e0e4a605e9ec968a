import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ownerOfClusterName } from '../class/namespace';
import { QuotaService } from '../class/quotas';
import { ClusterService } from '../cluster/cluster.service';
import type { ClusterState } from '../cluster/cluster.types';
import { withDeadline } from '../common/deadline';
import { LabError } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { CommittedOffset, GroupAdmin, GroupInfo } from '../kafka/group-admin';
import { KAFKA_ERRORS } from '../kafka/kafka-error-codes';
import { KafkaService } from '../kafka/kafka.service';
import { MetadataSnapshot } from '../kafka/metadata-snapshot';
import type { ClusterMetadata } from '../kafka/protocol';
import { TopicAdmin } from '../kafka/topic-admin';
import { ExternalWrites, WritePublication } from '../messages/external-writes';
import type { EventType, LabEvent } from '../timeline/events';
import { LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { normalizeAssignment } from './assignment-diff';
import { isServerClientId } from './consumer.types';
import { ConsumersService } from './consumers.service';
import { ExternalMembers, ObservedMember, Publication } from './external-members';
import { ExternalTopics, ListedTopic } from './external-topics';

/** How long after one round ends the next starts (rounds never overlap). */
export const WATCH_EVERY_MS = 2000;
/** A group without external members (empty, or only the server's consumers) is described again after this. */
export const QUIET_GROUP_EVERY_MS = 10_000;
/** Each call to Kafka gets this long; a round that cannot finish in time is given up, not queued. */
const CALL_DEADLINE_MS = 5000;
/** A whole round (list, describe, committed offsets, earliest offsets) ends by then; what is left waits for the next. */
export const ROUND_DEADLINE_MS = 15_000;
/** Groups whose committed offsets are read at the same time in a round. */
export const OFFSET_READS_AT_ONCE = 8;

const WATCHING: ReadonlySet<ClusterState> = new Set(['running', 'degraded']);
/** Group states whose description tells each member's subscription and assignment (or has no members). */
const SETTLED: ReadonlySet<string> = new Set(['Stable', 'Empty', 'Dead']);

/**
 * Looks at the cluster's classic groups every couple of seconds for members the server does not run
 * (a student's kcat -G, a console consumer) and puts them on the timeline (ExternalMembers says how),
 * and at the topics' end offsets for writes the server did not make (ExternalWrites),
 * scoped to the group's owner like the student's own consumers. Cheap on a class's many groups: one
 * ListGroups a round; a group is described every round only while it has external members, else every
 * QUIET_GROUP_EVERY_MS (a new group at once); committed offsets are read only for groups with external
 * members. Each call has a deadline and the next round starts only after the last one ended.
 */
@Injectable()
export class ExternalWatcher implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('ExternalMembers');
  private readonly members = new ExternalMembers();
  private readonly writes = new ExternalWrites();
  private readonly outside = new ExternalTopics();
  /** When each listed group was last described. */
  private readonly lastLook = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly offs: Array<() => void> = [];
  private watching = false;
  /** The first round after the cluster came up: groups there already did not appear while watched. */
  private baseline = true;
  private lastTrouble = 0;
  private closed = false;

  /** The group questions, on an admin client of the watcher's own (GroupAdmin.apart: a topic deleted outside the API does not stop it). */
  private readonly admin: GroupAdmin;

  constructor(
    admin: GroupAdmin,
    private readonly kafka: KafkaService,
    private readonly consumers: ConsumersService,
    private readonly timeline: TimelineService,
    private readonly cluster: ClusterService,
    private readonly bus: LiveBus,
    private readonly snapshot: MetadataSnapshot,
    @Inject(LAB_CONFIG) private readonly config: Pick<LabConfig, 'classListener'>,
    private readonly quotas: QuotaService,
    private readonly topicAdmin: TopicAdmin,
  ) {
    this.admin = admin.apart();
  }

  onModuleInit(): void {
    // Without the class listener students have no Kafka clients of their own: nothing to watch, no Kafka calls.
    if (!this.config.classListener) return;
    this.restore();
    this.watching = WATCHING.has(this.cluster.view().state);
    this.offs.push(
      this.bus.on('cluster', (view) => {
        const watching = WATCHING.has(view.state);
        if (this.watching && !watching) {
          // Stopped or reset: nobody stays in a group of a cluster that is not running.
          this.publish(this.members.forgetAll());
          this.lastLook.clear();
          this.baseline = true;
          this.writes.reset();
          this.outside.reset();
        }
        this.watching = watching;
      }),
      this.bus.on('event', (ev) => {
        // The server's own writes are not foreign ones; a deleted topic's name may come back as a new topic.
        if (ev.type === 'messages.produced' && !ev.external) this.writes.apiWrote(ev.topic, Date.now());
        else if (ev.type === 'topic.created') this.outside.apiCreated(ev.topic);
        else if (ev.type === 'topic.deleted') {
          this.writes.forgetTopic(ev.topic);
          this.outside.deleted(ev.topic);
        }
      }),
    );
    this.schedule();
  }

  onModuleDestroy(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const off of this.offs) off();
  }

  /** The external members the stored timeline says were there (ExternalMembers.restore): read once, by type. */
  private restore(): void {
    const types: EventType[] = ['consumer.started', 'group.rebalanced', 'consumer.stopped'];
    const match = (ev: LabEvent) => (ev as { external?: boolean }).external === true;
    for (let after = 0; ; ) {
      const { events, next } = this.timeline.query({ after, types, match, limit: 1000 });
      for (const ev of events) this.members.restore(ev);
      if (events.length === 0) return;
      after = next;
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const round = this.watching
        ? Promise.allSettled([this.round(), this.lookAtWrites()]).then(([groups, writes]) => {
            if (groups.status === 'rejected') this.trouble('the groups for members the server does not run', groups.reason);
            if (writes.status === 'rejected') this.trouble('the topics\' end offsets for writes the server did not make', writes.reason);
          })
        : Promise.resolve();
      void round.finally(() => this.schedule());
    }, WATCH_EVERY_MS);
    this.timer.unref();
  }

  /**
   * One look: list the groups, describe those due, read the committed offsets of those with external
   * members (OFFSET_READS_AT_ONCE at a time), publish what changed. The whole look ends by
   * ROUND_DEADLINE_MS: a group whose offsets could not be read in time is observed without them (its
   * commits count at the next look that reads them).
   */
  async round(now = Date.now()): Promise<void> {
    const ends = Date.now() + ROUND_DEADLINE_MS;
    const call = <T>(p: Promise<T>) => withDeadline(p, Math.max(1, Math.min(CALL_DEADLINE_MS, ends - Date.now())));
    const listed = await call(this.admin.listGroups());
    const ids = new Set(listed.filter((g) => g.protocolType === 'consumer' && this.mayBeClassic(g.groupId)).map((g) => g.groupId));
    for (const id of this.members.groupsWithExternals()) if (!ids.has(id)) this.publish(this.members.forget(id));
    for (const id of this.lastLook.keys()) if (!ids.has(id)) this.lastLook.delete(id);
    const due = [...ids].filter((id) => this.members.hasExternals(id) || now - (this.lastLook.get(id) ?? -Infinity) >= QUIET_GROUP_EVERY_MS).sort();
    const described = due.length ? await this.describe(due, call) : new Map<string, GroupInfo>();
    const looks: Array<{ id: string; members: ObservedMember[]; topics: string[]; appeared: boolean }> = [];
    for (const id of due) {
      const d = described.get(id);
      // Mid-rebalance (PreparingRebalance, CompletingRebalance) Kafka describes members without their
      // subscription or assignment: looked at again next round, when it is Stable (or Empty).
      if (!d || !SETTLED.has(d.state)) continue;
      const appeared = !this.baseline && !this.lastLook.has(id);
      this.lastLook.set(id, now);
      const members: ObservedMember[] =
        d.state === 'Dead'
          ? []
          : d.members.map((m) => {
              const assignment = normalizeAssignment(m.assignment);
              return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost ?? '', topics: m.topics ?? [], assignment, ours: isServerClientId(m.clientId) || this.consumers.consumerIdOf(m.memberId, m.clientId) !== null };
            });
      looks.push({ id, members, topics: this.members.offsetTopics(id, members), appeared });
    }
    const committed = await this.committedOffsets(looks.filter((l) => l.topics.length > 0), ends, call);
    const earliest = this.earliestOffsets(call);
    for (const l of looks) {
      this.publish(await this.members.observe({ groupId: l.id, members: l.members, committed: committed.get(l.id) ?? null }, l.appeared, earliest));
    }
    this.baseline = false;
  }

  /**
   * The groups' committed offsets, OFFSET_READS_AT_ONCE groups at a time (one slow coordinator, e.g. a
   * paused broker, holds up only its own groups), none started once the round's time is up. A group
   * that failed or was not reached is absent; the first failure of a round is logged.
   */
  private async committedOffsets(looks: Array<{ id: string; topics: string[] }>, ends: number, call: <T>(p: Promise<T>) => Promise<T>): Promise<Map<string, CommittedOffset[]>> {
    const out = new Map<string, CommittedOffset[]>();
    const failed: string[] = [];
    let firstError: unknown = null;
    let next = 0;
    const worker = async () => {
      while (next < looks.length) {
        const l = looks[next++];
        if (Date.now() >= ends) {
          failed.push(l.id);
          continue;
        }
        try {
          out.set(l.id, await call(this.admin.committedOffsets(l.id, l.topics)));
        } catch (e) {
          failed.push(l.id);
          firstError ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(OFFSET_READS_AT_ONCE, looks.length) }, worker));
    if (failed.length) {
      const why = firstError === null ? `no time left in the round (${ROUND_DEADLINE_MS} ms)` : firstError;
      this.trouble(`the committed offsets of ${failed.length} group(s) (${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ', ...' : ''})`, why);
    }
    return out;
  }

  /**
   * Offsets moving: every topic's end offsets (the shared metadata snapshot when fresh, then one
   * ListOffsets per leader for all topics), growth the server did not write becomes messages.produced.
   */
  async lookAtWrites(now = Date.now()): Promise<void> {
    const md = this.snapshot.current(WATCH_EVERY_MS) ?? (await withDeadline(this.snapshot.fresh(), CALL_DEADLINE_MS));
    const topics = md.topics.filter((t) => !t.name.startsWith('__')).map((t) => t.name);
    const ends = await withDeadline(this.kafka.latestOffsets(md, topics), CALL_DEADLINE_MS);
    this.publish(this.writes.look(topics, ends, now));
    await this.judgeTopics(md, now);
  }

  /**
   * A student's topic made outside the API (kafka-topics.sh over the class listener) that puts them
   * over a class quota (topics, partitionsPerTopic, partitions: the API's own check, against the topics
   * there before it) is deleted, with a topic.deleted of actor system whose reason names the quota.
   */
  async judgeTopics(md: ClusterMetadata, now = Date.now()): Promise<void> {
    const listed = md.topics.filter((t) => t.errorCode === KAFKA_ERRORS.NONE);
    const due = this.outside.look(listed.map((t) => ({ name: t.name, partitions: t.partitions.length })), now);
    const gone = new Set<string>();
    for (const [i, t] of due.entries()) {
      const owner = ownerOfClusterName(t.name);
      const later = new Set(due.slice(i + 1).map((d) => d.name));
      const before = listed.filter((x) => x.name !== t.name && !gone.has(x.name) && !later.has(x.name) && !this.outside.isPending(x.name));
      const refusal = this.quotaRefusal(owner, t, before);
      if (refusal === null) continue;
      const meta = listed.find((x) => x.name === t.name);
      try {
        await this.topicAdmin.deleteTopic(t.name, Date.now() + 3 * CALL_DEADLINE_MS);
      } catch (e) {
        this.trouble(`topic ${t.name} (made outside the API, over a quota) to delete it`, e);
        this.outside.judgeAgain(t);
        continue;
      }
      gone.add(t.name);
      this.outside.deleted(t.name);
      this.log.log(`Deleted ${t.name}, made outside the API: ${refusal}`);
      this.timeline.publish(
        {
          type: 'topic.deleted',
          actor: 'system',
          topic: t.name,
          partitions: t.partitions,
          replicationFactor: Math.max(0, ...(meta?.partitions ?? []).map((p) => p.replicas.length)),
          reason: `Made outside the API (e.g. kafka-topics.sh), it passed a class quota, so the server deleted it. ${refusal}`,
        },
        { topic: t.name, owner },
      );
    }
  }

  /** The sentence of the quota the student's topic passes (QuotaService's, as for an API create), or null. */
  private quotaRefusal(owner: string, t: ListedTopic, before: ClusterMetadata['topics']): string | null {
    try {
      this.quotas.topicCreate({ id: owner, name: owner, role: 'student' }, t.partitions, before);
      return null;
    } catch (e) {
      if (e instanceof LabError && e.code === 'LIMIT_REACHED') return e.message;
      throw e;
    }
  }

  /** A group the server's consumers use with the consumer or share protocol is not for DescribeGroups. */
  private mayBeClassic(groupId: string): boolean {
    const ours = this.consumers.protocolOfGroup(groupId);
    return ours === null || ours === 'classic';
  }

  /** All at once (kafkajs sends one DescribeGroups per coordinator); one by one when that fails, so one dead coordinator spares the rest. */
  private async describe(ids: string[], call: <T>(p: Promise<T>) => Promise<T>): Promise<Map<string, GroupInfo>> {
    const out = new Map<string, GroupInfo>();
    try {
      for (const g of await call(this.admin.describeGroups(ids))) out.set(g.groupId, g);
    } catch {
      const each = await Promise.allSettled(ids.map((id) => call(this.admin.describeGroups([id]))));
      for (const r of each) if (r.status === 'fulfilled') for (const g of r.value) out.set(g.groupId, g);
    }
    return out;
  }

  /** Earliest offsets, read once per topic per round and only when a first commit needs one. */
  private earliestOffsets(call: <T>(p: Promise<T>) => Promise<T>): (topic: string, partition: number) => Promise<bigint | null> {
    const byTopic = new Map<string, Promise<Map<string, string | null>>>();
    return async (topic, partition) => {
      let offsets = byTopic.get(topic);
      if (!offsets) {
        offsets = call(this.kafka.recentMetadata([topic]).then((md) => this.kafka.offsets(md, topic))).then(
          (m) => new Map([...m].map(([k, v]) => [k, v.earliest])),
          () => new Map<string, string | null>(),
        );
        byTopic.set(topic, offsets);
      }
      const e = (await offsets).get(`${topic}:${partition}`);
      return e === undefined || e === null ? null : BigInt(e);
    };
  }

  private publish(list: Array<Publication | WritePublication>): void {
    for (const p of list) this.timeline.publish(p.event, p.scope);
  }

  /** Says (at most once a minute) that a round failed, so a silent gap is visible in the log. */
  private trouble(what: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastTrouble < 60_000) return;
    this.lastTrouble = now;
    this.log.warn(`Could not look at ${what}: ${(e as Error)?.message ?? e}`);
  }
}
