import type { Evidence } from '../../grading.types';
import { evidence } from '../evidence';
import type { Rule } from '../rule';
import type { Change } from '../world-state';

/** A topic.created of the student's with replication factor ≥ 3 and ≥ 3 partitions. */
export class ReplicatedTopicRule implements Rule {
  readonly id = 'replicated-topic' as const;

  check(change: Change): Evidence | null {
    if (change.kind !== 'topic-created') return null;
    const { topic, replicationFactor } = change;
    const partitions = topic.partitionCount ?? 0;
    if (replicationFactor < 3 || partitions < 3) return null;
    return evidence({
      summary: `Topic ${topic.name} was created with ${partitions} partitions and replication factor ${replicationFactor}.`,
      events: [topic.createdSeq],
      consumers: [],
      messages: [],
      topics: [topic.name],
    });
  }
}
