import { Injectable } from '@nestjs/common';
import { Admin, AssignerProtocol, GroupDescription } from 'kafkajs';
import { fromClusterName, toClusterName } from '../class/namespace';
import { Principal } from '../class/principal';
import { LabError, notFound } from '../common/lab-error';
import { kafkaErrorToLabError } from '../kafka/kafka-error.mapper';
import { KafkaService } from '../kafka/kafka.service';
import { normalizeAssignment, TopicPartitions } from './assignment-diff';
import { GroupSummary, GroupView } from './consumer.types';
import { ConsumersService } from './consumers.service';

/** Consumer groups as the brokers see them (every member, ours or not: kcat, console consumers). */
@Injectable()
export class GroupsService {
  constructor(
    private readonly kafka: KafkaService,
    private readonly consumers: ConsumersService,
  ) {}

  async list(who: Principal): Promise<GroupSummary[]> {
    const admin = await this.admin();
    const ids = new Set<string>(this.consumers.clusterGroupIds());
    try {
      const { groups } = await admin.listGroups();
      // Only consumer groups ('' is a group that holds offsets but never had a member protocol).
      for (const g of groups) if (g.protocolType === 'consumer' || g.protocolType === '') ids.add(g.groupId);
    } catch {
      // listGroups asks every broker and fails while one is dying: the groups our consumers use still show.
    }
    const visible = [...ids].filter((g) => this.consumers.mayViewGroup(who, g)).sort();
    const described = await this.describeMany(admin, visible);
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
    const admin = await this.admin();
    const visible = (t: string) => fromClusterName(who, t) ?? t;
    let desc: GroupDescription | undefined;
    try {
      desc = (await admin.describeGroups([clusterId])).groups[0];
    } catch (e) {
      const err = kafkaErrorToLabError(e, { action: `describe the consumer group ${groupId}` });
      if (err instanceof LabError && err.code === 'NOT_FOUND') throw notFound(`There is no consumer group ${groupId}.`);
      throw err;
    }
    if (!desc || desc.state === 'Dead') throw notFound(`There is no consumer group ${groupId}.`);

    const members = desc.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      consumerId: this.consumers.consumerIdOf(m.memberId, m.clientId),
      assignment: decodeAssignment(m.memberAssignment),
    }));
    const topics = new Set<string>([...members.flatMap((m) => m.assignment.map((a) => a.topic)), ...this.consumers.topicsOfGroup(clusterId)]);
    // A group nobody of ours reads (e.g. kcat's, now empty): look for its commits on every topic.
    const searchAll = topics.size === 0;
    if (searchAll) (await admin.listTopics().catch(() => [] as string[])).filter((t) => !t.startsWith('__')).forEach((t) => topics.add(t));
    const offsets = (await Promise.all([...topics].sort().map((t) => this.topicOffsets(admin, clusterId, t))))
      .flat()
      .filter((o) => !searchAll || o.committed !== null)
      .map((o) => ({ ...o, topic: visible(o.topic) }));
    for (const m of members) m.assignment = m.assignment.map((a) => ({ ...a, topic: visible(a.topic) }));
    return { groupId, state: desc.state, protocol: desc.protocol, members, offsets };
  }

  /** Committed and latest offsets of one topic; a part Kafka cannot answer (no leader) is null, never a 5xx. */
  private async topicOffsets(admin: Admin, groupId: string, topic: string): Promise<GroupView['offsets']> {
    const [committed, latest] = await Promise.allSettled([
      admin.fetchOffsets({ groupId, topics: [topic] }),
      admin.fetchTopicOffsets(topic),
    ]);
    const byPartition = new Map<number, { committed: string | null; latest: string | null }>();
    const row = (p: number) => byPartition.get(p) ?? byPartition.set(p, { committed: null, latest: null }).get(p)!;
    if (committed.status === 'fulfilled') {
      for (const t of committed.value) {
        if (t.topic !== topic) continue;
        for (const p of t.partitions) row(p.partition).committed = Number(p.offset) >= 0 ? p.offset : null;
      }
    }
    if (latest.status === 'fulfilled') for (const p of latest.value) row(p.partition).latest = p.high ?? p.offset;
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
  private async describeMany(admin: Admin, ids: string[]): Promise<Map<string, GroupDescription>> {
    const out = new Map<string, GroupDescription>();
    if (ids.length === 0) return out;
    try {
      for (const g of (await admin.describeGroups(ids)).groups) out.set(g.groupId, g);
      return out;
    } catch {
      const each = await Promise.allSettled(ids.map((id) => admin.describeGroups([id])));
      for (const r of each) if (r.status === 'fulfilled') for (const g of r.value.groups) out.set(g.groupId, g);
      return out;
    }
  }

  private async admin(): Promise<Admin> {
    try {
      return await this.kafka.admin();
    } catch (e) {
      throw kafkaErrorToLabError(e, { action: 'reach the cluster', brokers: this.kafka.bootstrapServers() });
    }
  }
}

function decodeAssignment(buf: Buffer | null | undefined): TopicPartitions[] {
  if (!buf || buf.length === 0) return [];
  try {
    return normalizeAssignment(AssignerProtocol.MemberAssignment.decode(buf)?.assignment ?? {});
  } catch {
    // A member mid-rebalance can carry a partial assignment; show none rather than fail the whole view.
    return [];
  }
}
