import { Injectable } from '@nestjs/common';
import { fromClusterName, toClusterName } from '../class/namespace';
import { Principal } from '../class/principal';
import { LabError, notFound } from '../common/lab-error';
import { GroupAdmin, GroupInfo } from '../kafka/group-admin';
import { KafkaService } from '../kafka/kafka.service';
import { normalizeAssignment } from './assignment-diff';
import { GroupSummary, GroupView } from './consumer.types';
import { ConsumersService } from './consumers.service';

/** Consumer groups as the brokers see them (every member, ours or not: kcat, console consumers). */
@Injectable()
export class GroupsService {
  constructor(
    private readonly kafka: KafkaService,
    private readonly admin: GroupAdmin,
    private readonly consumers: ConsumersService,
  ) {}

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
    const visible = [...ids].filter((g) => this.consumers.mayViewGroup(who, g)).sort();
    const described = await this.describeMany(visible);
    return visible
      .map((clusterId) => {
        const d = described.get(clusterId);
        return { groupId: fromClusterName(who, clusterId) ?? clusterId, state: d?.state ?? 'Unknown', members: d?.members.length ?? 0 };
      })
      .filter((g) => g.state !== 'Dead');
  }

  async describe(who: Principal, groupId: string): Promise<GroupView> {
    const clusterId = toClusterName(who, groupId);
    if (!this.consumers.mayViewGroup(who, clusterId)) throw notFound(`There is no consumer group ${groupId}.`);
    await this.reach();
    const visible = (t: string) => fromClusterName(who, t) ?? t;
    let desc: GroupInfo | undefined;
    try {
      desc = (await this.admin.describeGroups([clusterId]))[0];
    } catch (e) {
      const err = await this.kafka.explain(e, { action: `describe the consumer group ${groupId}` });
      if (err instanceof LabError && err.code === 'NOT_FOUND') throw notFound(`There is no consumer group ${groupId}.`);
      throw err;
    }
    if (!desc || desc.state === 'Dead') throw notFound(`There is no consumer group ${groupId}.`);

    const members = desc.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      consumerId: this.consumers.consumerIdOf(m.memberId, m.clientId),
      assignment: normalizeAssignment(m.assignment),
    }));
    const topics = new Set<string>([...members.flatMap((m) => m.assignment.map((a) => a.topic)), ...this.consumers.topicsOfGroup(clusterId)]);
    // A group nobody of ours reads (e.g. kcat's, now empty): look for its commits on every topic.
    const searchAll = topics.size === 0;
    if (searchAll) (await this.admin.listTopics().catch(() => [] as string[])).filter((t) => !t.startsWith('__')).forEach((t) => topics.add(t));
    const offsets = (await Promise.all([...topics].sort().map((t) => this.topicOffsets(clusterId, t))))
      .flat()
      .filter((o) => !searchAll || o.committed !== null)
      .map((o) => ({ ...o, topic: visible(o.topic) }));
    for (const m of members) m.assignment = m.assignment.map((a) => ({ ...a, topic: visible(a.topic) }));
    return { groupId, state: desc.state, protocol: desc.protocol, members, offsets };
  }

  /** Committed and latest offsets of one topic; a part Kafka cannot answer (no leader) is null, never a 5xx. */
  private async topicOffsets(groupId: string, topic: string): Promise<GroupView['offsets']> {
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
