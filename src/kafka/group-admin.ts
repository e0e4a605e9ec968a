import { Injectable } from '@nestjs/common';
import { Admin, AssignerProtocol } from 'kafkajs';
import { KAFKA_ERRORS } from './kafka-error-codes';
import { KafkaService } from './kafka.service';
import { isUnknownTopic } from './topic-admin';

/** A group as the broker lists it. `protocolType` is `consumer` for consumer groups, '' for offsets only. */
export interface GroupListing {
  groupId: string;
  protocolType: string;
}

export interface GroupMemberInfo {
  memberId: string;
  clientId: string;
  /** Topic → partitions, decoded from the member's assignment ({} while it has none readable). */
  assignment: Record<string, number[]>;
  /** Where the member connects from, as the coordinator saw it (e.g. `/127.0.0.1`). */
  clientHost?: string;
  /** The topics it subscribed to, decoded from its join metadata ([] when unreadable). */
  topics?: string[];
}

/** A group as its coordinator describes it (`state` as Kafka names it: Stable, Empty, Dead, ...). */
export interface GroupInfo {
  groupId: string;
  state: string;
  protocol: string;
  members: GroupMemberInfo[];
}

/** A group's committed offset of one partition; null when it has none. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: string | null;
}

/**
 * What the consumers module asks the cluster about groups and offsets, in the domain's words; the
 * kafkajs admin client behind it stays in src/kafka/. Errors are kafkajs's (kafka-error.mapper.ts
 * turns them into sentences).
 */
@Injectable()
export class GroupAdmin {
  /** Which of KafkaService's admin clients this asks through: the shared one, or the external watcher's (apart()). */
  private via: 'shared' | 'watch' = 'shared';

  constructor(private readonly kafka: KafkaService) {}

  /**
   * The same questions on an admin client of the external watcher's own (KafkaService.watchAdmin),
   * whose committed-offset reads get over a topic deleted outside the API (see committedOffsets).
   */
  apart(): GroupAdmin {
    const g = new GroupAdmin(this.kafka);
    g.via = 'watch';
    return g;
  }

  private client(): Promise<Admin> {
    return this.via === 'watch' ? this.kafka.watchAdmin() : this.kafka.admin();
  }

  /**
   * A call kafkajs fails with UNKNOWN_TOPIC_OR_PARTITION (a topic deleted outside the API, e.g. by a
   * student's kafka-topics.sh, is still among the admin's metadata targets: every call refreshes them
   * first) is made again once on a new admin, `again` (default: the same call). Group views on the
   * shared admin would otherwise fail until the API next changes a topic.
   */
  private async healing<T>(call: () => Promise<T>, again: () => Promise<T> = call): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (!isUnknownTopic(e)) throw e;
      await this.kafka.resetOneAdmin(this.via);
      return again();
    }
  }

  /** Resolves once the admin client is connected; rejects when no broker can be reached. */
  async connect(): Promise<void> {
    await this.kafka.admin();
  }

  /** Forgets the shared admin connection (it can be left dead by a broker restart). */
  reset(): Promise<void> {
    return this.kafka.resetAdmin();
  }

  async listTopics(): Promise<string[]> {
    return this.healing(async () => (await this.client()).listTopics());
  }

  /** Asks every broker: fails while one is dying. */
  async listGroups(): Promise<GroupListing[]> {
    const { groups } = await this.healing(async () => (await this.client()).listGroups());
    return groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }));
  }

  async describeGroups(ids: string[]): Promise<GroupInfo[]> {
    const { groups } = await this.healing(async () => (await this.client()).describeGroups(ids));
    return groups.map((g) => ({
      groupId: g.groupId,
      state: g.state,
      protocol: g.protocol,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        topics: decodeSubscription(m.memberMetadata),
        assignment: decodeAssignment(m.memberAssignment),
      })),
    }));
  }

  /**
   * The group's committed offsets of these topics' partitions. kafkajs adds each topic asked about to
   * the admin's metadata targets; one deleted outside the API since fails every later call with
   * UNKNOWN_TOPIC_OR_PARTITION: then that admin is made new and asked once more, for the topics that
   * still exist.
   */
  async committedOffsets(groupId: string, topics: string[]): Promise<CommittedOffset[]> {
    return this.healing(
      () => this.fetchOffsets(groupId, topics),
      async () => {
        const there = new Set((await this.kafka.metadata()).topics.filter((t) => t.errorCode === KAFKA_ERRORS.NONE).map((t) => t.name));
        const left = topics.filter((t) => there.has(t));
        return left.length ? this.fetchOffsets(groupId, left) : [];
      },
    );
  }

  private async fetchOffsets(groupId: string, topics: string[]): Promise<CommittedOffset[]> {
    const res = await (await this.client()).fetchOffsets({ groupId, topics });
    return res.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) >= 0 ? p.offset : null })));
  }

  /**
   * Each partition's latest offset (the high watermark), null where it has no leader that answers.
   * Asked with metadata read now: kafkajs's admin keeps its metadata up to 5 minutes and, once a
   * leader has moved, asks the old one and gives up without looking again.
   */
  async latestOffsets(topic: string): Promise<Array<{ partition: number; latest: string | null }>> {
    const offsets = await this.kafka.offsets(await this.kafka.metadata([topic]), topic);
    return [...offsets.entries()].map(([key, o]) => ({ partition: Number(key.slice(key.lastIndexOf(':') + 1)), latest: o.latest }));
  }
}

function decodeAssignment(buf: Buffer | null | undefined): Record<string, number[]> {
  if (!buf || buf.length === 0) return {};
  try {
    return AssignerProtocol.MemberAssignment.decode(buf)?.assignment ?? {};
  } catch {
    // A member mid-rebalance can carry a partial assignment; show none rather than fail the whole view.
    return {};
  }
}

function decodeSubscription(buf: Buffer | null | undefined): string[] {
  if (!buf || buf.length === 0) return [];
  try {
    return [...(AssignerProtocol.MemberMetadata.decode(buf)?.topics ?? [])];
  } catch {
    // Another client's metadata version we cannot read: the assignment still names what it reads.
    return [];
  }
}
