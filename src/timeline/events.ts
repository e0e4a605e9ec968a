/**
 * The catalogue of timeline events (API.md "The timeline"): every type with its fields, as one
 * discriminated union. The timeline stores and queries these, the live fan-out routes them, the
 * socket.io server-to-client map sends them. A new type is added to EventFields and EVENT_TYPE_TABLE;
 * the compiler then points at every place that must decide what to do with it (the fan-out routes).
 */

/** Partitions of one topic, as assignments and rebalances list them. */
export interface EventTopicPartitions {
  topic: string;
  partitions: number[];
}

interface NodeFields {
  nodeId: number;
  role: 'broker' | 'controller';
  /** Why the node is in this state, when the server can tell (e.g. the port it could not bind). */
  reason?: string;
}

interface TopicFields {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

interface ConsumerFields {
  consumerId: string;
  groupId: string;
  /** consumer.crashed: what went wrong. */
  reason?: string;
  /** consumer.started: how it reads (grading tells a consumer-protocol group from a classic one by it). */
  protocol?: 'classic' | 'consumer' | 'share';
  /** consumer.started: the topics it reads (cluster names). */
  topics?: string[];
  /** consumer.started: it reads each partition from its first offset when its group has none committed. */
  fromBeginning?: boolean;
  /** A member the server does not run (kcat -G, a console consumer), seen in its group (external-members.ts). */
  external?: boolean;
  /** External members, consumer.started and its end: the client id and host Kafka reports for the member. */
  clientId?: string;
  clientHost?: string;
}

/**
 * Offsets per partition as inclusive ranges `[first, last]` (decimal strings, as Kafka's int64 offsets
 * are everywhere in the API), ascending and not touching: `{ "0": [["0", "6"], ["9", "9"]] }`.
 */
export type OffsetRanges = Record<string, Array<[string, string]>>;

interface ShareFields {
  consumerId: string;
  groupId: string;
  topic: string;
  partition: number;
}

/** The fields each event type carries besides `seq`, `time`, `type` and `actor`. */
export interface EventFields {
  'cluster.started': { brokers?: number; controllers?: number };
  'cluster.stopped': Record<never, never>;
  'cluster.reset': { brokers?: number; controllers?: number; clusterId?: string };
  'node.started': NodeFields;
  'node.stopped': NodeFields;
  'node.killed': NodeFields;
  'node.paused': NodeFields;
  'node.resumed': NodeFields;
  'node.crashed': NodeFields & { exitCode?: number | null; signal?: string | null };
  'topic.created': TopicFields;
  /** `reason`: why, when the server deleted it itself (a topic made outside the API over a class quota). */
  'topic.deleted': TopicFields & { reason?: string };
  'partition.leader-changed': { topic: string; partition: number; from: number | null; to: number | null };
  'partition.isr-changed': { topic: string; partition: number; isr: number[]; previous: number[] };
  /**
   * `offsets`: where they were written (absent on events stored before offsets were recorded).
   * `external`: written by a client the server does not run (kcat -P), seen as the topic's end offsets moving.
   */
  'messages.produced': { topic: string; count: number; partitions: Record<string, number>; offsets?: OffsetRanges; external?: boolean };
  /**
   * What one consumer received of one topic within about a second (a share record delivered again is
   * counted again). Stored before any other event naming the consumer, so everything it received
   * before a rebalance or its stop is on the timeline ahead of that event: grading relies on it.
   */
  'messages.consumed': { consumerId: string; groupId: string; topic: string; count: number; offsets: OffsetRanges; external?: boolean };
  'consumer.started': ConsumerFields;
  'consumer.stopped': ConsumerFields;
  'consumer.killed': ConsumerFields;
  'consumer.crashed': ConsumerFields;
  'consumer.recovered': ConsumerFields;
  'group.rebalanced': {
    groupId: string;
    consumerId: string;
    /** null when the member never got an id (it left before joining). */
    memberId: string | null;
    generation: number | null;
    memberEpoch?: number;
    protocol?: 'classic' | 'consumer' | 'share';
    assigned: EventTopicPartitions[];
    revoked: EventTopicPartitions[];
    /** The member's partitions after this change. */
    owned?: EventTopicPartitions[];
    /** A member the server does not run, seen in its group's description (its generation is not known then). */
    external?: boolean;
  };
  /** `ackType`, not API.md's `type`: an event's `type` is its own type. */
  'share.acknowledged': ShareFields & { offsets: string[]; ackType: 'accept' | 'release' | 'reject' };
  'share.redelivered': ShareFields & { offset: string; deliveryCount: number; why?: string };
  'share.archived': { groupId: string; topic: string; partition: number; offset: string; why: string };
  'student.joined': { studentId: string; name: string };
  /** `purged`: their topics were deleted too. */
  'student.removed': { studentId: string; name: string; purged: boolean };
  /** Which settings changed (keys of GET /api/class; `joinCode` when it was set or rotated, never the code). */
  'class.updated': { changed: string[] };
  /** `earnedBy`/`earnedAt`: the seq and time of the event that earned it (this event comes a moment later). */
  'checkpoint.passed': { studentId: string; checkpoint: string; evidence: unknown; earnedBy?: number; earnedAt?: string };
}

export type EventType = keyof EventFields;

/** What every stored event has. */
export interface EventHead<T extends EventType = EventType> {
  /** Increases by one per stored event. */
  seq: number;
  time: string;
  type: T;
  /** Who caused it: a principal id ("instructor", a student id) or "kafka" / "system". */
  actor: string;
}

/** `Event` of API.md for one type. */
export type LabEventOf<T extends EventType> = EventHead<T> & EventFields[T];

/** `Event` of API.md: `{ seq, time, type, actor, ...fields }`, told apart by `type`. */
export type LabEvent = { [T in EventType]: LabEventOf<T> }[EventType];

/** What a publisher hands the timeline: the event without the `seq` and `time` the timeline gives it. */
export type NewEvent = { [T in EventType]: { type: T; actor: string } & EventFields[T] }[EventType];

/** One entry per type, so the list below cannot miss one. */
const EVENT_TYPE_TABLE: Record<EventType, true> = {
  'cluster.started': true, 'cluster.stopped': true, 'cluster.reset': true,
  'node.started': true, 'node.stopped': true, 'node.killed': true, 'node.paused': true, 'node.resumed': true, 'node.crashed': true,
  'topic.created': true, 'topic.deleted': true,
  'partition.leader-changed': true, 'partition.isr-changed': true,
  'messages.produced': true, 'messages.consumed': true,
  'consumer.started': true, 'consumer.stopped': true, 'consumer.killed': true, 'consumer.crashed': true, 'consumer.recovered': true,
  'group.rebalanced': true,
  'share.acknowledged': true, 'share.redelivered': true, 'share.archived': true,
  'student.joined': true, 'student.removed': true, 'class.updated': true,
  'checkpoint.passed': true,
};

export const EVENT_TYPES: readonly EventType[] = Object.keys(EVENT_TYPE_TABLE) as EventType[];

/** A string field of an event, whichever type it is (routing looks at `topic`, `groupId`, `consumerId`). */
export function eventField(ev: LabEvent, name: 'topic' | 'groupId' | 'consumerId' | 'studentId'): string | undefined {
  const v = (ev as unknown as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}
