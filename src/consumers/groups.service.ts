import { Inject, Injectable, Optional } from '@nestjs/common';
import { fromClusterName, outsideOwnNamespace, ownerOfClusterName, toClusterName } from '../class/namespace';
import { notFoundSentence } from '../class/present';
import { Principal } from '../class/principal';
import { canSeeGroup } from '../class/visibility';
import { CLIENT_HOST, ClientHost, HostedGroupDescription, HostedGroupListing } from '../client-host/client-host.types';
import { LabError, notFound } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { GroupAdmin, GroupInfo } from '../kafka/group-admin';
import { KafkaService } from '../kafka/kafka.service';
import { normalizeAssignment } from './assignment-diff';
import { CommittedOffsetView, GroupSummary, GroupType, GroupView, isServerClientId, ShareOffsetView } from './consumer.types';
import { ConsumersService } from './consumers.service';
import { hostOf } from './external-members';
import { protocolRefusal } from './protocol-support';

/**
 * Consumer groups as the brokers see them (every member, ours or not: kcat, console consumers).
 * Classic groups through kafkajs; consumer-protocol and share groups, which kafkajs's DescribeGroups
 * calls "Dead", through the client host's Admin.
 */
@Injectable()
export class GroupsService {
  constructor(
    private readonly kafka: KafkaService,
    private readonly admin: GroupAdmin,
    private readonly consumers: ConsumersService,
    @Optional() @Inject(CLIENT_HOST) private readonly host: ClientHost | null = null,
    @Optional() @Inject(LAB_CONFIG) private readonly config: Pick<LabConfig, 'classListener'> | null = null,
  ) {}

  /**
   * Whether a member is one the server does not run (kcat -G, a console consumer): shown as external
   * only with the class listener on (students' own clients); with it off the views are as they were.
   */
  private isExternal(consumerId: string | null, clientId: string): boolean {
    return consumerId === null && !isServerClientId(clientId) && !!this.config?.classListener;
  }

  async list(who: Principal): Promise<GroupSummary[]> {
    await this.reach();
    const ids = new Set<string>(this.consumers.clusterGroupIds());
    try {
      const groups = await this.admin.listGroups();
      // Only consumer groups ('' is a group that holds offsets but never had a member protocol).
      for (const g of groups) if (g.protocolType === 'consumer' || g.protocolType === '') ids.add(g.groupId);
    } catch {
      // listGroups asks every broker and fails while one is dying: the groups our consumers use still show.
    }
    // The host lists every type ([] while its JVM is not running: then there are none of the new types of ours).
    const hosted = new Map<string, HostedGroupListing>();
    for (const g of await (this.host?.listGroups() ?? Promise.resolve([])).catch(() => [] as HostedGroupListing[])) {
      if (g.type === 'classic' || g.type === 'consumer' || g.type === 'share') {
        hosted.set(g.groupId, g);
        ids.add(g.groupId);
      }
    }
    const typeOf = (id: string): GroupType => {
      const t = hosted.get(id)?.type ?? this.consumers.protocolOfGroup(id);
      return t && t !== 'classic' ? t : 'classic';
    };
    const visible = [...ids].filter((g) => canSeeGroup(who, g)).sort();
    const described = await this.describeMany(visible.filter((id) => typeOf(id) === 'classic'));
    const newer = await Promise.all(
      visible.filter((id) => typeOf(id) !== 'classic').map(async (id) => [id, await this.hostedDescription(id).catch(() => null)] as const),
    );
    const newerById = new Map(newer);
    return visible
      .map((clusterId) => {
        const type = typeOf(clusterId);
        const d = type === 'classic' ? described.get(clusterId) : newerById.get(clusterId);
        return { groupId: fromClusterName(who, clusterId) ?? clusterId, owner: ownerOfClusterName(clusterId), type, state: d?.state ?? hosted.get(clusterId)?.state ?? 'Unknown', members: d?.members.length ?? 0 };
      })
      .filter((g) => g.state !== 'Dead');
  }

  async describe(who: Principal, groupId: string): Promise<GroupView> {
    const clusterId = toClusterName(who, groupId);
    if (outsideOwnNamespace(who, groupId) || !canSeeGroup(who, clusterId)) throw notFound(notFoundSentence('group', groupId));
    await this.reach();
    const ours = this.consumers.protocolOfGroup(clusterId);
    if (ours === 'consumer' || ours === 'share') return this.describeHosted(who, groupId, clusterId);
    let desc: GroupInfo | undefined;
    try {
      desc = (await this.admin.describeGroups([clusterId]))[0];
    } catch (e) {
      const err = await this.kafka.explain(e, { action: `describe the consumer group ${groupId}` });
      // Kafka 4 answers DescribeGroups for a consumer-protocol or share group as not found: ask the host.
      if (err instanceof LabError && err.code === 'NOT_FOUND') return this.describeNewer(who, groupId, clusterId);
      throw err;
    }
    if (!desc || desc.state === 'Dead') return this.describeNewer(who, groupId, clusterId);

    const members = desc.members.map((m) => {
      const consumerId = this.consumers.consumerIdOf(m.memberId, m.clientId);
      // A member the server does not run (kcat -G, a console consumer): the group's owner's, as its name says.
      const external = this.isExternal(consumerId, m.clientId) ? { external: true, clientHost: hostOf(m.clientHost ?? '') } : {};
      return { memberId: m.memberId, clientId: m.clientId, consumerId, ...external, assignment: normalizeAssignment(m.assignment) };
    });
    const offsets = await this.committedOffsetsOf(clusterId, members);
    return { groupId, owner: ownerOfClusterName(clusterId), type: 'classic', state: desc.state, protocol: desc.protocol, members: this.visibleMembers(who, members), offsets: this.visibleOffsets(who, offsets) };
  }

  /**
   * A group kafkajs calls Dead or unknown: a consumer-protocol or share group, or none. The host is
   * asked only when there is a reason to think it is one (asking may start its JVM, ~200 MB, and a
   * typo in a URL must not): its JVM runs already, or Kafka lists the group as a consumer or share group.
   */
  private async describeNewer(who: Principal, groupId: string, clusterId: string): Promise<GroupView> {
    if (!(await this.mayBeNewer(clusterId))) throw notFound(notFoundSentence('group', groupId));
    return this.describeHosted(who, groupId, clusterId);
  }

  private async mayBeNewer(clusterId: string): Promise<boolean> {
    if (!this.host || protocolRefusal('consumer', this.consumers.kafkaVersion()) !== null) return false;
    if (this.host.pid() !== null) return true;
    // kafkajs's ListGroups (v2, no type filter) lists every type on Kafka 4: consumer-protocol groups
    // (and classic ones, which DescribeGroups would not call Dead) as 'consumer', share groups as 'share'.
    const listed = await this.admin.listGroups().catch(() => null);
    // No listing (a broker dying): the host can tell.
    if (listed === null) return true;
    return listed.some((g) => g.groupId === clusterId && (g.protocolType === 'consumer' || g.protocolType === 'share'));
  }

  /** A consumer-protocol or share group, as the client host's Admin describes it; 404 when there is none. */
  private async describeHosted(who: Principal, groupId: string, clusterId: string): Promise<GroupView> {
    const desc = await this.hostedDescription(clusterId);
    if (!desc || desc.state === 'Dead') throw notFound(notFoundSentence('group', groupId));
    const members = desc.members.map((m) => {
      const consumerId = this.consumers.consumerIdOf(m.memberId, m.clientId);
      // The host describes classic groups too (when kafkajs called one Dead as it formed): their kcat members are external as well.
      const external = this.isExternal(consumerId, m.clientId) ? { external: true, ...(m.clientHost !== undefined ? { clientHost: hostOf(m.clientHost) } : {}) } : {};
      return { memberId: m.memberId, clientId: m.clientId, consumerId, ...external, memberEpoch: m.memberEpoch, assignment: normalizeAssignment(m.assignment) };
    });
    const offsets: GroupView['offsets'] = desc.type === 'share' ? await this.shareOffsetsOf(clusterId, desc, members) : await this.committedOffsetsOf(clusterId, members);
    const type: GroupType = desc.type;
    return {
      groupId,
      owner: ownerOfClusterName(clusterId),
      type,
      state: desc.state,
      protocol: desc.protocol,
      groupEpoch: desc.groupEpoch,
      targetAssignmentEpoch: desc.targetAssignmentEpoch,
      members: this.visibleMembers(who, members),
      offsets: this.visibleOffsets(who, offsets),
    };
  }

  /** null without a host, on a cluster too old for the new group types, or when the group does not exist. */
  private async hostedDescription(clusterId: string): Promise<HostedGroupDescription | null> {
    if (!this.host || protocolRefusal('consumer', this.consumers.kafkaVersion()) !== null) return null;
    return this.host.describeGroup(clusterId);
  }

  /** Committed offsets and lag of every partition of the topics the group reads. */
  private async committedOffsetsOf(clusterId: string, members: GroupView['members']): Promise<CommittedOffsetView[]> {
    const topics = new Set<string>([...members.flatMap((m) => m.assignment.map((a) => a.topic)), ...this.consumers.topicsOfGroup(clusterId)]);
    // A group nobody of ours reads (e.g. kcat's, now empty): look for its commits on every topic.
    const searchAll = topics.size === 0;
    if (searchAll) (await this.admin.listTopics().catch(() => [] as string[])).filter((t) => !t.startsWith('__')).forEach((t) => topics.add(t));
    return (await Promise.all([...topics].sort().map((t) => this.topicOffsets(clusterId, t))))
      .flat()
      .filter((o) => !searchAll || o.committed !== null);
  }

  /**
   * A share group's partitions: the share-partition start offset (records before it are done with),
   * the latest offset, and the records in flight between them (not yet acknowledged by the group).
   */
  private async shareOffsetsOf(clusterId: string, desc: HostedGroupDescription, members: GroupView['members']): Promise<ShareOffsetView[]> {
    const start = new Map((desc.shareOffsets ?? []).map((o) => [`${o.topic}:${o.partition}`, o.startOffset]));
    const topics = new Set<string>([
      ...(desc.shareOffsets ?? []).map((o) => o.topic),
      ...members.flatMap((m) => m.assignment.map((a) => a.topic)),
      ...this.consumers.topicsOfGroup(clusterId),
    ]);
    const rows = await Promise.all(
      [...topics].sort().map(async (topic) => {
        const latest = await this.admin.latestOffsets(topic).catch(() => [] as Array<{ partition: number; latest: string | null }>);
        const partitions = new Map<number, string | null>(latest.map((p) => [p.partition, p.latest]));
        for (const o of desc.shareOffsets ?? []) if (o.topic === topic && !partitions.has(o.partition)) partitions.set(o.partition, null);
        return [...partitions.entries()]
          .sort(([a], [b]) => a - b)
          .map(([partition, l]) => {
            const startOffset = start.get(`${topic}:${partition}`) ?? null;
            const inFlight = startOffset !== null && l !== null ? Math.max(0, Number(BigInt(l) - BigInt(startOffset))) : null;
            return { topic, partition, startOffset, latest: l, inFlight };
          });
      }),
    );
    return rows.flat();
  }

  private visibleMembers(who: Principal, members: GroupView['members']): GroupView['members'] {
    return members.map((m) => ({ ...m, assignment: m.assignment.map((a) => ({ ...a, topic: fromClusterName(who, a.topic) ?? a.topic })) }));
  }

  private visibleOffsets<T extends { topic: string }>(who: Principal, offsets: T[]): T[] {
    return offsets.map((o) => ({ ...o, topic: fromClusterName(who, o.topic) ?? o.topic }));
  }

  /** Committed and latest offsets of one topic; a part Kafka cannot answer (no leader) is null, never a 5xx. */
  private async topicOffsets(groupId: string, topic: string): Promise<CommittedOffsetView[]> {
    const [committed, latest] = await Promise.allSettled([this.admin.committedOffsets(groupId, [topic]), this.admin.latestOffsets(topic)]);
    const byPartition = new Map<number, { committed: string | null; latest: string | null }>();
    const row = (p: number) => byPartition.get(p) ?? byPartition.set(p, { committed: null, latest: null }).get(p)!;
    if (committed.status === 'fulfilled') for (const c of committed.value) if (c.topic === topic) row(c.partition).committed = c.offset;
    if (latest.status === 'fulfilled') for (const p of latest.value) row(p.partition).latest = p.latest;
    return [...byPartition.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, o]) => ({
        topic,
        partition,
        committed: o.committed,
        latest: o.latest,
        lag: o.committed !== null && o.latest !== null ? Math.max(0, Number(BigInt(o.latest) - BigInt(o.committed))) : null,
      }));
  }

  /** Describes groups; if one coordinator cannot be reached, the others are still described. */
  private async describeMany(ids: string[]): Promise<Map<string, GroupInfo>> {
    const out = new Map<string, GroupInfo>();
    if (ids.length === 0) return out;
    try {
      for (const g of await this.admin.describeGroups(ids)) out.set(g.groupId, g);
      return out;
    } catch {
      const each = await Promise.allSettled(ids.map((id) => this.admin.describeGroups([id])));
      for (const r of each) if (r.status === 'fulfilled') for (const g of r.value) out.set(g.groupId, g);
      return out;
    }
  }

  /** The cluster can be reached at all (else a sentence saying so). */
  private async reach(): Promise<void> {
    try {
      await this.admin.connect();
    } catch (e) {
      throw await this.kafka.explain(e, { action: 'reach the cluster', brokers: this.kafka.bootstrapServers() });
    }
  }
}
