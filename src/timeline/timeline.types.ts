export type EventType =
  | 'cluster.started' | 'cluster.stopped' | 'cluster.reset'
  | 'node.started' | 'node.stopped' | 'node.killed' | 'node.paused' | 'node.resumed' | 'node.crashed'
  | 'topic.created' | 'topic.deleted'
  | 'partition.leader-changed' | 'partition.isr-changed'
  | 'messages.produced'
  | 'consumer.started' | 'consumer.stopped' | 'consumer.killed' | 'consumer.crashed' | 'consumer.recovered'
  | 'group.rebalanced';

export const EVENT_TYPES: readonly EventType[] = [
  'cluster.started', 'cluster.stopped', 'cluster.reset',
  'node.started', 'node.stopped', 'node.killed', 'node.paused', 'node.resumed', 'node.crashed',
  'topic.created', 'topic.deleted',
  'partition.leader-changed', 'partition.isr-changed',
  'messages.produced',
  'consumer.started', 'consumer.stopped', 'consumer.killed', 'consumer.crashed', 'consumer.recovered',
  'group.rebalanced',
];

/** `Event` of API.md: `{ seq, time, type, actor, ...fields }`. */
export interface LabEvent {
  seq: number;
  time: string;
  type: EventType;
  /** Who caused it: a principal id ("instructor", a student id) or "kafka" / "system". */
  actor: string;
  [field: string]: unknown;
}

/**
 * Who may see an event, kept beside it (never sent): the owner of the topic/consumer/group it concerns.
 * Absent: everybody (cluster and node events, shared topics).
 */
export interface EventScope {
  owner?: string;
  topic?: string;
  groupId?: string;
  consumerId?: string;
}

export type NewEvent = { type: EventType; actor: string } & Record<string, unknown>;
