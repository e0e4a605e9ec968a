import type { TopicPartitions } from './assignment-diff';

export type ConsumerState = 'joining' | 'running' | 'stopped' | 'killed' | 'crashed';

/** classic: kafkajs, eager rebalances; consumer: KIP-848; share: KIP-932 share groups (both on the client host). */
export const CONSUMER_PROTOCOLS = ['classic', 'consumer', 'share'] as const;
export type ConsumerProtocol = (typeof CONSUMER_PROTOCOLS)[number];
export const ACK_MODES = ['auto', 'manual'] as const;
export type AckMode = (typeof ACK_MODES)[number];

/** `Consumer` of API.md. */
export interface ConsumerView {
  id: string;
  name: string;
  owner: string;
  groupId: string;
  protocol: ConsumerProtocol;
  /** share consumers only. */
  ack?: AckMode;
  topics: string[];
  fromBeginning: boolean;
  state: ConsumerState;
  memberId: string | null;
  /** consumer and share members: the member epoch (null before it joined); absent for classic members. */
  memberEpoch?: number | null;
  assignment: TopicPartitions[];
  received: number;
  createdAt: string;
  /** The timeline seq of its consumer.started event: subscribe with `after: seq` to see what followed. */
  seq: number;
}

export type GroupType = 'classic' | 'consumer' | 'share' | 'streams' | 'unknown';

/** `GET /api/groups` item. */
export interface GroupSummary {
  groupId: string;
  /** "instructor" for the instructor's groups (and every group outside a student's namespace), else the student's id. */
  owner: string;
  type: GroupType;
  state: string;
  members: number;
}

export interface GroupMemberView {
  memberId: string;
  clientId: string;
  consumerId: string | null;
  /** A member the server does not run (kcat -G, a console consumer). */
  external?: boolean;
  /** External members: the address the member connects from, as Kafka reports it. */
  clientHost?: string;
  /** consumer and share groups. */
  memberEpoch?: number | null;
  assignment: TopicPartitions[];
}

/** A classic or consumer group's partition: committed offset and lag. */
export interface CommittedOffsetView {
  topic: string;
  partition: number;
  committed: string | null;
  latest: string | null;
  lag: number | null;
}

/** A share group's partition: where the share-partition starts and the records in flight (latest − startOffset). */
export interface ShareOffsetView {
  topic: string;
  partition: number;
  startOffset: string | null;
  latest: string | null;
  inFlight: number | null;
}

/** `GET /api/groups/{groupId}`. */
export interface GroupView {
  groupId: string;
  owner: string;
  type: GroupType;
  state: string;
  protocol: string;
  /** consumer and share groups. */
  groupEpoch?: number | null;
  targetAssignmentEpoch?: number | null;
  members: GroupMemberView[];
  offsets: Array<CommittedOffsetView | ShareOffsetView>;
}

/** Topic names as Kafka allows them; group ids kept to the same safe alphabet. */
export const TOPIC_NAME_RE = /^[A-Za-z0-9._-]{1,249}$/;
export const GROUP_ID_RE = /^[A-Za-z0-9._-]{1,200}$/;
/** Group ids the service chooses for consumers without a group; prefix `klab-solo-`. */
export const SOLO_GROUP_PREFIX = 'klab-solo-';
/** The kafkajs clientId of our consumers: `klab-<consumerId>`, so a group description can name them. */
export const CLIENT_ID_PREFIX = 'klab-';

/**
 * A group member with the server's client id prefix is one of the server's own, even when no session
 * knows it any more (a consumer deleted within its session timeout, a server crash): it lingers in its
 * group until Kafka drops it, and must not pass for a student's client (kcat, a console consumer).
 */
export function isServerClientId(clientId: string): boolean {
  return clientId.startsWith(CLIENT_ID_PREFIX);
}
