import type { TopicPartitions } from '../consumers/assignment-diff';

/**
 * The client host: ONE JVM running Kafka's own Java clients for the group protocols kafkajs cannot
 * speak — `KafkaConsumer` with group.protocol=consumer (KIP-848) and `KafkaShareConsumer` (KIP-932).
 * The server starts it on demand and talks to it in JSON lines over stdin/stdout. Nothing outside
 * src/client-host/ sees the JVM or its wire format: the consumers module uses these types only.
 */

export type HostedProtocol = 'consumer' | 'share';
export type AckMode = 'auto' | 'manual';
export type AcknowledgeType = 'accept' | 'release' | 'reject';

/** One member to run. Names are the CLUSTER names (namespaced), as Kafka sees them. */
export interface HostedMemberSpec {
  /** Our consumer id: the member's key in the JVM, and in its clientId `klab-<consumerId>`. */
  consumerId: string;
  protocol: HostedProtocol;
  groupId: string;
  topics: string[];
  clientId: string;
  /** consumer: auto.offset.reset=earliest; share: the group's share.auto.offset.reset=earliest (set before joining). */
  fromBeginning: boolean;
  /** share only: `auto` = implicit acknowledgement (accepted at the next poll); `manual` = explicit. */
  ack: AckMode;
}

/** One record as a hosted member received it (key/value UTF-8 decoded, like the classic path). */
export interface HostedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  /** share members only: how often Kafka delivered this record (1 the first time). */
  deliveryCount?: number;
}

/** One reconciliation step of a member: only what moved, plus what it owns after it. */
export interface HostedRebalance {
  memberId: string;
  /** consumer protocol: the member epoch after the step; share: the member epoch as well. */
  memberEpoch: number;
  assigned: TopicPartitions[];
  revoked: TopicPartitions[];
  owned: TopicPartitions[];
}

/** What Kafka said about acknowledgements a share member sent (per partition, as the client reports them). */
export interface HostedAckResult {
  topic: string;
  partition: number;
  offsets: string[];
  type: AcknowledgeType;
  /** Set when Kafka refused them (e.g. the lock had expired: the record is no longer this member's). */
  error?: string;
}

/** What a hosted member reports. Called from the host's stdout reader: keep them cheap. */
export interface HostedMemberEvents {
  /** The member has joined (first heartbeat answered), with its member id and epoch. */
  joined(memberId: string, memberEpoch: number): void;
  rebalanced(step: HostedRebalance): void;
  records(records: HostedRecord[]): void;
  /** Acknowledgements committed (or refused), explicit or implicit. */
  acknowledged(results: HostedAckResult[]): void;
  /**
   * manual share members: records held unacknowledged past the record lock; Kafka has given them back
   * to the group, and the member will not acknowledge them any more.
   */
  lockExpired(records: Array<{ topic: string; partition: number; offset: string }>): void;
  /** The member died (its loop failed, or the whole JVM went away). It reports nothing more. */
  crashed(reason: string): void;
}

export interface AckRequest {
  topic: string;
  partition: number;
  offset: string;
  type: AcknowledgeType;
}

/** One member inside the JVM; once it has left, vanished or crashed it reports nothing more. */
export interface HostedMember {
  readonly consumerId: string;
  /** Leaves the group (consumer.close) within `deadlineMs`; resolves when it is gone either way. */
  leave(deadlineMs: number): Promise<void>;
  /**
   * Vanishes without a word to the group (a crash): no leave heartbeat, no acknowledgement; the
   * coordinator notices at the session timeout (and a share member's locks expire). Resolves too when
   * the member is not there any more; rejects (CONFLICT, TIMEOUT, ...) when it may still run.
   */
  vanish(): Promise<void>;
  /**
   * manual share members: acknowledges records it holds and commits them; resolves with what Kafka
   * said per partition. Rejects with a LabError (400/409) for offsets the member does not hold.
   * A TIMEOUT LabError: the host did not answer in time, and the acknowledgement may still reach
   * Kafka; its outcome comes through `acknowledged` as any other.
   */
  acknowledge(acks: AckRequest[]): Promise<HostedAckResult[]>;
}

/** A consumer-protocol or share group as Kafka's Admin describes it (cluster names). */
export interface HostedGroupDescription {
  groupId: string;
  type: 'classic' | 'consumer' | 'share' | 'streams' | 'unknown';
  state: string;
  /** The assignor (consumer groups: e.g. `uniform`), or '' */
  protocol: string;
  groupEpoch: number | null;
  targetAssignmentEpoch: number | null;
  /** `clientHost`: where the member connects from, as Kafka reports it (absent from a host compiled before it was asked). */
  members: Array<{ memberId: string; clientId: string; clientHost?: string; memberEpoch: number | null; assignment: TopicPartitions[] }>;
  /** share groups: per partition the share-partition start offset (null when none yet). */
  shareOffsets?: Array<{ topic: string; partition: number; startOffset: string | null }>;
}

export interface HostedGroupListing {
  groupId: string;
  type: HostedGroupDescription['type'];
  state: string;
}

/** The host as the consumers module sees it (injected with the CLIENT_HOST token). */
export interface ClientHost {
  /**
   * Starts the JVM if needed (compiling the host once per Kafka version), then the member; resolves
   * once the member is subscribed (not yet joined: `joined` tells). Rejects with a LabError.
   */
  startMember(spec: HostedMemberSpec, events: HostedMemberEvents): Promise<HostedMember>;
  /** null when the group does not exist. Starts the JVM if needed. */
  describeGroup(groupId: string): Promise<HostedGroupDescription | null>;
  /** Every group of every type; [] without starting the JVM when it is not running. */
  listGroups(): Promise<HostedGroupListing[]>;
  /** The JVM's pid while it runs (for tests, benches and the stop-everything sweep). */
  pid(): number | null;
}

export const CLIENT_HOST = Symbol('CLIENT_HOST');
