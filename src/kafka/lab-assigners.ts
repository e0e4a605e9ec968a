import { AssignerProtocol, PartitionAssigner, PartitionAssigners } from 'kafkajs';

/**
 * Partition assigners under the names every other Kafka client uses ("roundrobin", "range"), so
 * `kcat -G`, librdkafka apps and the Java console consumer can share a group with our consumers.
 * kafkajs's own assigner is called "RoundRobinAssigner": a group of kafkajs members would refuse a
 * kcat member with INCONSISTENT_GROUP_PROTOCOL. The wire format (ConsumerProtocol v0) is the standard
 * one, so whichever member leads, every member reads the assignment.
 */

export interface MemberSubscription {
  memberId: string;
  topics: string[];
}

export type AssignmentByMember = Map<string, Record<string, number[]>>;

/** Java's RoundRobinAssignor: all (topic, partition) pairs in order, dealt to the sorted members subscribed to each topic. */
export function roundRobinAssign(members: MemberSubscription[], partitionsOf: (topic: string) => number[]): AssignmentByMember {
  const sorted = [...members].sort((a, b) => cmp(a.memberId, b.memberId));
  const out: AssignmentByMember = new Map(sorted.map((m) => [m.memberId, {}]));
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort(cmp);
  let next = 0;
  for (const topic of topics) {
    for (const partition of [...partitionsOf(topic)].sort((x, y) => x - y)) {
      // Next member (in circular order) that subscribes to this topic.
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[next % sorted.length];
        next += 1;
        if (m.topics.includes(topic)) {
          (out.get(m.memberId)![topic] ??= []).push(partition);
          break;
        }
      }
    }
  }
  return out;
}

/** Java's RangeAssignor: per topic, contiguous ranges to the sorted subscribers, the first ones one extra. */
export function rangeAssign(members: MemberSubscription[], partitionsOf: (topic: string) => number[]): AssignmentByMember {
  const out: AssignmentByMember = new Map(members.map((m) => [m.memberId, {}]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort(cmp);
  for (const topic of topics) {
    const subs = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort(cmp);
    const partitions = [...partitionsOf(topic)].sort((x, y) => x - y);
    const per = Math.floor(partitions.length / subs.length);
    const extra = partitions.length % subs.length;
    let at = 0;
    subs.forEach((memberId, i) => {
      const n = per + (i < extra ? 1 : 0);
      if (n > 0) out.get(memberId)![topic] = partitions.slice(at, at + n);
      at += n;
    });
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function adapter(name: string, assign: typeof roundRobinAssign): PartitionAssigner {
  return ({ cluster }) => ({
    name,
    version: 0,
    async assign({ members, topics }) {
      const subs: MemberSubscription[] = members.map((m) => {
        const meta = m.memberMetadata?.length ? AssignerProtocol.MemberMetadata.decode(m.memberMetadata) : null;
        // Only topics the leader knows partitions of can be assigned (kafkajs passes the leader's subscription).
        return { memberId: m.memberId, topics: (meta?.topics ?? topics).filter((t) => topics.includes(t)) };
      });
      const partitionsOf = (topic: string) => cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
      const result = assign(subs, partitionsOf);
      return [...result.entries()].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
  });
}

/** In order of preference; kafkajs's own name last, for groups shared with plain kafkajs apps. */
export const LAB_PARTITION_ASSIGNERS: PartitionAssigner[] = [
  adapter('roundrobin', roundRobinAssign),
  adapter('range', rangeAssign),
  PartitionAssigners.roundRobin,
];
