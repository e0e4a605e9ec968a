import type { AckRequest, HostedAckResult } from '../client-host/client-host.types';
import { conflict, LabError } from '../common/lab-error';
import type { ConsumerFeed } from '../live/consumer-directory';
import type { AckMode, ConsumerProtocol, ConsumerState, ConsumerView } from './consumer.types';
import type { PartitionEnds } from './partition-progress';

/**
 * One API consumer as the service, the live directory and the watchdogs see it, whatever runs it: a
 * kafkajs classic member (consumer-session.ts) or a member in the client-host JVM (hosted-session.ts).
 */
export interface LabConsumer extends ConsumerFeed {
  readonly id: string;
  readonly owner: string;
  readonly groupId: string;
  readonly protocol: ConsumerProtocol;
  /** share consumers: how records are acknowledged. */
  readonly ack?: AckMode;
  /** The topics as its owner named them (what its view and messages say), in the order of clusterTopics. */
  readonly topics: string[];
  readonly clusterGroupId: string;
  readonly clusterTopics: string[];
  /** The current member id (the client gives a new one when a member is replaced). */
  readonly memberId: string | null;

  view(): ConsumerView;
  /** Still a member (or trying to become one again). */
  isAlive(): boolean;
  /** Starts the member; throws when it cannot start at all (the session then holds nothing). */
  start(actor: string): Promise<void>;
  /** Resolves once the member takes part in its group (or at the deadline, or when it is gone). */
  whenReady(timeoutMs: number): Promise<void>;
  /** Leaves the group cleanly; a conflict when it is not running. */
  stop(actor: string): Promise<void>;
  /** Vanishes without leaving; a conflict when it is not running. */
  kill(actor: string): Promise<void> | void;
  /** manual share consumers only: accept, release or reject records it holds. */
  acknowledge?(acks: AckRequest[], actor: string): Promise<HostedAckResult[]>;

  // ---- the watchdogs (ConsumersService) ----
  /** Replaces a member silent for longer than `thresholdMs`; true when it did. */
  checkStalled(now: number, thresholdMs: number): boolean;
  /** Replaces a member that reads nothing from partitions with unread messages; true when it did. */
  checkProgress(ends: Map<string, PartitionEnds>, committed: Map<string, bigint | null>, now: number, thresholdMs: number): boolean;
  /** The partitions (`topic:partition`, cluster names) the progress watchdog should judge; [] for none. */
  assignedKeys(): string[];
  /** Assigned partitions whose read position only the group's commit can tell. */
  unknownPositions(ends: Map<string, PartitionEnds>): string[];
}

/** The 409 for stopping, killing or acknowledging with a consumer that no longer runs. */
export function notRunning(id: string, state: ConsumerState, consequence = ''): LabError {
  return conflict(`Consumer ${id} is not running: it is ${state}${consequence}.`);
}
