import type { TopicPartitions } from './assignment-diff';

export type ConsumerState = 'joining' | 'running' | 'stopped' | 'killed' | 'crashed';

/** `Consumer` of API.md. */
export interface ConsumerView {
  id: string;
  name: string;
  owner: string;
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  state: ConsumerState;
  memberId: string | null;
  assignment: TopicPartitions[];
  received: number;
  createdAt: string;
  /** The timeline seq of its consumer.started event: subscribe with `after: seq` to see what followed. */
  seq: number;
}

/** `GET /api/groups` item. */
export interface GroupSummary {
  groupId: string;
  state: string;
  members: number;
}

/** `GET /api/groups/{groupId}`. */
export interface GroupView {
  groupId: string;
  state: string;
  protocol: string;
  members: Array<{ memberId: string; clientId: string; consumerId: string | null; assignment: TopicPartitions[] }>;
  offsets: Array<{ topic: string; partition: number; committed: string | null; latest: string | null; lag: number | null }>;
}

/** Topic names as Kafka allows them; group ids kept to the same safe alphabet. */
export const TOPIC_NAME_RE = /^[A-Za-z0-9._-]{1,249}$/;
export const GROUP_ID_RE = /^[A-Za-z0-9._-]{1,200}$/;
/** Group ids the service chooses for consumers without a group; prefix `klab-solo-`. */
export const SOLO_GROUP_PREFIX = 'klab-solo-';
/** The kafkajs clientId of our consumers: `klab-<consumerId>`, so a group description can name them. */
export const CLIENT_ID_PREFIX = 'klab-';
