import { LabError, LabErrorCode } from '../common/lab-error';
import { KAFKA_ERROR_CODES, kafkaErrorName, KafkaErrorName } from './kafka-error-codes';
import { brokerOf, KAFKAJS_NOT_CONNECTED, thrownByKafkajs } from './connection-failure';
import { KafkaWireError, NoBrokerAnsweredError } from './protocol/kafka-connection';

export { KAFKA_ERRORS, KAFKA_ERROR_NAMES, kafkaErrorName } from './kafka-error-codes';
export type { KafkaErrorName } from './kafka-error-codes';
export { isConnectionFailure, isRefusedConnection } from './connection-failure';

/**
 * What the caller knows about the failed operation; it turns Kafka's terse codes into sentences.
 * Names are the ones the student sees (their own topic name, not the namespaced one on the cluster).
 */
export interface KafkaErrorContext {
  /** e.g. "create topic orders", "write to topic orders": used when no better sentence exists. */
  action?: string;
  topic?: string;
  partition?: number;
  partitions?: number;
  replicationFactor?: number;
  /** Brokers running now (for INVALID_REPLICATION_FACTOR). */
  liveBrokers?: number;
  /** The configs that were sent (INVALID_CONFIG names them; kafkajs loses the broker's own text). */
  configs?: Record<string, string>;
  /** For NOT_ENOUGH_REPLICAS: the partition's ISR size and the topic's min.insync.replicas. */
  inSyncReplicas?: number;
  minInsyncReplicas?: number;
  /** The bootstrap list, named when no broker answers. */
  brokers?: string[];
  /**
   * True when our own metadata request found no broker answering: a failed connection to one broker
   * then means the whole cluster is down. Without it such a failure speaks of that one broker only.
   */
  noBrokerAnswers?: boolean;
}

interface Rule {
  labCode: LabErrorCode;
  sentence: (ctx: KafkaErrorContext) => string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const topicOf = (c: KafkaErrorContext) => (c.topic ? `topic ${c.topic}` : 'the topic');
const TopicOf = (c: KafkaErrorContext) => (c.topic ? `Topic ${c.topic}` : 'The topic');
/** "partition 0 of topic x"; `partitionOf` is the same at the start of a sentence. */
const partitionRef = (c: KafkaErrorContext) =>
  c.partition !== undefined ? `partition ${c.partition} of ${topicOf(c)}` : `a partition of ${topicOf(c)}`;
const partitionOf = (c: KafkaErrorContext) => partitionRef(c).charAt(0).toUpperCase() + partitionRef(c).slice(1);
const configList = (c: KafkaErrorContext) =>
  Object.entries(c.configs ?? {}).map(([k, v]) => `${k}=${v}`);

function notEnoughReplicas(c: KafkaErrorContext, what: string): string {
  const counts =
    c.inSyncReplicas !== undefined && c.minInsyncReplicas !== undefined
      ? `only ${plural(c.inSyncReplicas, 'in-sync replica')}, min.insync.replicas is ${c.minInsyncReplicas}`
      : c.minInsyncReplicas !== undefined
        ? `fewer in-sync replicas than min.insync.replicas (${c.minInsyncReplicas})`
        : 'fewer in-sync replicas than its min.insync.replicas requires';
  return `${partitionOf(c)} ${what}: ${counts}. Bring the stopped brokers back or write with acks=1.`;
}

/** Kafka error → what went wrong for the student, by Kafka's name. Errors not listed keep Kafka's name in the sentence. */
export const KAFKA_ERROR_RULES = {
  OFFSET_OUT_OF_RANGE: { labCode: 'BAD_INPUT', sentence: (c) => `That offset is outside the offsets ${partitionRef(c)} holds.` },
  UNKNOWN_TOPIC_OR_PARTITION: {
    labCode: 'NOT_FOUND',
    sentence: (c) =>
      c.partition !== undefined
        ? `${TopicOf(c)} does not exist or has no partition ${c.partition}.`
        : `${TopicOf(c)} does not exist.`,
  },
  LEADER_NOT_AVAILABLE: {
    labCode: 'KAFKA_UNAVAILABLE',
    sentence: (c) =>
      `${partitionOf(c)} has no leader right now: the brokers holding its replicas are down or an election is under way. Try again when one of them is back.`,
  },
  NOT_LEADER_OR_FOLLOWER: {
    labCode: 'KAFKA_UNAVAILABLE',
    sentence: (c) => `The leader of ${partitionRef(c)} has just moved to another broker; try again.`,
  },
  REQUEST_TIMED_OUT: { labCode: 'TIMEOUT', sentence: (c) => `Kafka did not finish in time${c.action ? ` to ${c.action}` : ''}; the cluster may be busy or missing brokers. Try again.` },
  BROKER_NOT_AVAILABLE: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => 'The broker needed for this is not available; try again when it is running.' },
  REPLICA_NOT_AVAILABLE: { labCode: 'KAFKA_UNAVAILABLE', sentence: (c) => `A replica of ${topicOf(c)} is not available; try again when its broker is running.` },
  MESSAGE_TOO_LARGE: { labCode: 'BAD_INPUT', sentence: (c) => `The message is larger than ${topicOf(c)} accepts (max.message.bytes).` },
  NETWORK_EXCEPTION: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => 'The connection to a broker broke during the request; try again.' },
  COORDINATOR_LOAD_IN_PROGRESS: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => 'The group coordinator is still loading; try again in a moment.' },
  COORDINATOR_NOT_AVAILABLE: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => 'No broker can coordinate consumer groups right now (__consumer_offsets has no leader); try again when brokers are back.' },
  NOT_COORDINATOR: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => 'The group coordinator has just moved to another broker; try again.' },
  INVALID_TOPIC_EXCEPTION: {
    labCode: 'BAD_INPUT',
    sentence: (c) =>
      `${c.topic ? `"${c.topic}"` : 'That'} is not a valid topic name: use 1 to 249 letters, digits, ".", "_" or "-", and not "." or "..".`,
  },
  NOT_ENOUGH_REPLICAS: { labCode: 'KAFKA_UNAVAILABLE', sentence: (c) => notEnoughReplicas(c, 'refused the write') },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: {
    labCode: 'KAFKA_UNAVAILABLE',
    sentence: (c) => notEnoughReplicas(c, 'stored the write on its leader but could not confirm it on enough replicas'),
  },
  INVALID_REQUIRED_ACKS: { labCode: 'BAD_INPUT', sentence: () => 'The acks setting must be -1 (all), 0 or 1.' },
  REBALANCE_IN_PROGRESS: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => 'The consumer group is rebalancing; try again when it is stable.' },
  TOPIC_AUTHORIZATION_FAILED: { labCode: 'FORBIDDEN', sentence: (c) => `The cluster does not allow access to ${topicOf(c)}.` },
  GROUP_AUTHORIZATION_FAILED: { labCode: 'FORBIDDEN', sentence: () => 'The cluster does not allow access to this consumer group.' },
  CLUSTER_AUTHORIZATION_FAILED: { labCode: 'FORBIDDEN', sentence: () => 'The cluster does not allow this operation.' },
  TOPIC_ALREADY_EXISTS: { labCode: 'CONFLICT', sentence: (c) => `${TopicOf(c)} already exists.` },
  INVALID_PARTITIONS: {
    labCode: 'BAD_INPUT',
    sentence: (c) =>
      `${c.partitions !== undefined ? `${c.partitions} is not a valid number of partitions` : 'The number of partitions is not valid'}${c.topic ? ` for topic ${c.topic}` : ''}: it must be at least 1 and can only grow.`,
  },
  INVALID_REPLICATION_FACTOR: {
    labCode: 'BAD_INPUT',
    sentence: (c) => {
      const rf = c.replicationFactor !== undefined ? `The replication factor ${c.replicationFactor}` : 'The replication factor';
      if (c.liveBrokers === undefined) return `${rf} is larger than the number of brokers in the cluster.`;
      return `${rf} is larger than the ${plural(c.liveBrokers, 'broker')} that ${c.liveBrokers === 1 ? 'is' : 'are'} running.`;
    },
  },
  INVALID_REPLICA_ASSIGNMENT: { labCode: 'BAD_INPUT', sentence: (c) => `The replica assignment for ${topicOf(c)} is not valid: every broker it names must exist, once per partition.` },
  INVALID_CONFIG: {
    labCode: 'BAD_INPUT',
    sentence: (c) => {
      const list = configList(c);
      if (list.length === 1) return `The topic config ${list[0]} is not valid.`;
      if (list.length > 1) return `One of the topic configs ${list.join(', ')} is not valid.`;
      return `A config of ${topicOf(c)} is not valid.`;
    },
  },
  NOT_CONTROLLER: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => 'The Kafka controller has just changed; try again.' },
  INVALID_REQUEST: { labCode: 'BAD_INPUT', sentence: (c) => `Kafka found the request${c.action ? ` to ${c.action}` : ''} malformed.` },
  POLICY_VIOLATION: {
    labCode: 'BAD_INPUT',
    sentence: (c) => `The cluster's topic policy does not allow this${c.action ? ` (${c.action})` : ''}${configList(c).length ? ` with ${configList(c).join(', ')}` : ''}.`,
  },
  KAFKA_STORAGE_ERROR: { labCode: 'KAFKA_UNAVAILABLE', sentence: () => "A broker's disk failed to read or write the data; try again when the broker is healthy." },
  REASSIGNMENT_IN_PROGRESS: { labCode: 'CONFLICT', sentence: (c) => `A reassignment of ${topicOf(c)} is already in progress; wait for it to finish.` },
  NON_EMPTY_GROUP: { labCode: 'CONFLICT', sentence: () => 'The consumer group still has members; stop its consumers first.' },
  GROUP_ID_NOT_FOUND: { labCode: 'NOT_FOUND', sentence: () => 'That consumer group does not exist.' },
  TOPIC_DELETION_DISABLED: { labCode: 'CONFLICT', sentence: () => 'The cluster does not allow topics to be deleted (delete.topic.enable=false).' },
  PREFERRED_LEADER_NOT_AVAILABLE: {
    labCode: 'KAFKA_UNAVAILABLE',
    sentence: (c) => `The preferred leader of ${partitionRef(c)} is not running or not in sync, so it cannot become leader yet.`,
  },
  ELIGIBLE_LEADERS_NOT_AVAILABLE: { labCode: 'KAFKA_UNAVAILABLE', sentence: (c) => `${partitionOf(c)} has no replica that may become leader: all in-sync replicas are down.` },
  ELECTION_NOT_NEEDED: { labCode: 'CONFLICT', sentence: (c) => `${partitionOf(c)} is already led by its preferred leader.` },
  INVALID_RECORD: { labCode: 'BAD_INPUT', sentence: (c) => `${TopicOf(c)} refused the message as invalid (e.g. a compacted topic needs a key).` },
  THROTTLING_QUOTA_EXCEEDED: { labCode: 'TOO_MANY', sentence: () => 'Too many topic changes at once; try again in a moment.' },
  UNKNOWN_TOPIC_ID: { labCode: 'NOT_FOUND', sentence: (c) => `${TopicOf(c)} does not exist (its id is unknown).` },
} satisfies Partial<Record<KafkaErrorName, Rule>>;

const RULES: Partial<Record<string, Rule>> = KAFKA_ERROR_RULES;

/** Maps a Kafka error code with the caller's context; codes without a rule keep Kafka's name. */
export function kafkaCodeToLabError(code: number | KafkaErrorName, context: KafkaErrorContext = {}, kafkaMessage?: string): LabError {
  const name = typeof code === 'number' ? kafkaErrorName(code) : code;
  const rule = RULES[name];
  if (rule) return new LabError(rule.labCode, rule.sentence(context));
  const what = context.action ? `Kafka refused to ${context.action}` : 'Kafka refused the request';
  const why = kafkaMessage && kafkaMessage !== name ? ` (${kafkaMessage.replace(/\.$/, '')})` : '';
  return new LabError('KAFKA_UNAVAILABLE', `${what}: ${name}${why}.`);
}

function noBrokerSentence(context: KafkaErrorContext, detail?: string): string {
  const where = context.brokers?.length ? ` at ${context.brokers.join(', ')}` : '';
  return `No broker of the cluster answers${where}${detail ? ` (${detail})` : ''}; is the cluster running? Start it or a broker and try again.`;
}

/**
 * One broker's connection failed. Within broker.session.timeout (6 s) Kafka still lists a broker that
 * has just died and may even name it as the one to ask, so this is no sign that the cluster is down.
 */
function oneBrokerSentence(context: KafkaErrorContext, broker?: string): string {
  const who = broker ? `broker ${broker}` : 'a broker of the cluster';
  const what = context.action ? `Kafka could not ${context.action}: ${who}` : who.charAt(0).toUpperCase() + who.slice(1);
  return `${what} does not answer (it may have just stopped; Kafka notices within about 6 s); try again.`;
}

/** The whole-cluster sentence when our metadata found no broker answering, else the one broker's. */
const connectionFailed = (context: KafkaErrorContext, broker?: string) =>
  new LabError('KAFKA_UNAVAILABLE', context.noBrokerAnswers ? noBrokerSentence(context) : oneBrokerSentence(context, broker));

interface ErrLike {
  name?: string;
  message?: string;
  code?: unknown;
  type?: unknown;
  errors?: unknown;
  cause?: unknown;
  originalError?: unknown;
  topic?: unknown;
  partition?: unknown;
}

/** True for anything that came from kafkajs, our wire client, or a Kafka error code. */
export function isKafkaError(err: unknown): boolean {
  if (typeof err === 'number') return true;
  if (!err || typeof err !== 'object') return false;
  const e = err as ErrLike;
  return (
    err instanceof KafkaWireError ||
    err instanceof NoBrokerAnsweredError ||
    (typeof e.name === 'string' && (e.name.startsWith('KafkaJS') || e.name === 'KafkaCodeError')) ||
    (typeof e.code === 'number' && typeof e.type === 'string') ||
    thrownByKafkajs(err)
  );
}

/**
 * Turns a kafkajs error, a wire-client error or a raw Kafka error code into a LabError whose message
 * a student understands. A LabError passes through; anything else that is not a Kafka error is a bug
 * and is returned unchanged, so the exception filter logs it and answers 500.
 */
export function kafkaErrorToLabError(err: unknown, context: KafkaErrorContext = {}): Error {
  if (err instanceof LabError) return err;
  if (typeof err === 'number') return kafkaCodeToLabError(err, context);
  if (!isKafkaError(err)) return err instanceof Error ? err : new Error(String(err));
  const e = err as ErrLike;

  if (err instanceof NoBrokerAnsweredError) return new LabError('KAFKA_UNAVAILABLE', noBrokerSentence(context));
  if (KAFKAJS_NOT_CONNECTED.test(e.message ?? '') && thrownByKafkajs(err)) return connectionFailed(context);
  if (err instanceof KafkaWireError) {
    if (err.kind === 'refused' || err.kind === 'unreachable' || err.kind === 'closed') {
      return connectionFailed({ ...context, brokers: context.brokers ?? [err.broker] }, err.broker);
    }
    if (err.kind === 'timeout') return new LabError('TIMEOUT', `Broker ${err.broker} did not answer in time; it may be paused or overloaded. Try again.`);
    return new LabError('KAFKA_UNAVAILABLE', `Broker ${err.broker} sent an answer that could not be read: ${err.message}.`);
  }

  // Per-topic/per-partition errors carry their own topic/partition; the caller's context wins.
  const withOwn = (x: ErrLike): KafkaErrorContext => ({
    ...(typeof x.topic === 'string' ? { topic: x.topic } : {}),
    ...(typeof x.partition === 'number' ? { partition: x.partition } : {}),
    ...context,
  });

  switch (e.name) {
    case 'KafkaJSAggregateError': {
      // createTopics: one error per topic; we create one topic at a time, so the first one speaks.
      const errors = Array.isArray(e.errors) ? (e.errors as unknown[]) : [];
      if (errors.length) return kafkaErrorToLabError(errors[0], context);
      break;
    }
    case 'KafkaJSNumberOfRetriesExceeded':
    case 'KafkaJSNonRetriableError':
      // Retries ran out: what failed last is what the student needs to hear.
      if (e.cause && e.cause !== err) return kafkaErrorToLabError(e.cause, context);
      if (e.originalError && e.originalError !== err) return kafkaErrorToLabError(e.originalError, context);
      break;
    case 'KafkaJSNoBrokerAvailableError':
      return new LabError('KAFKA_UNAVAILABLE', noBrokerSentence(context));
    case 'KafkaJSConnectionError':
    case 'KafkaJSConnectionClosedError':
    case 'KafkaJSBrokerNotFound':
      return connectionFailed(context, brokerOf(e));
    case 'KafkaJSRequestTimeoutError':
    case 'KafkaJSTimeout':
    case 'KafkaJSLockTimeout':
      return new LabError('TIMEOUT', `Kafka did not answer in time${context.action ? ` to ${context.action}` : ''}; brokers may be down, paused or overloaded. Try again.`);
    case 'KafkaJSMetadataNotLoaded':
    case 'KafkaJSTopicMetadataNotLoaded':
      return new LabError(
        'KAFKA_UNAVAILABLE',
        `The cluster has not yet told us where the partitions of ${topicOf(withOwn(e))} are; try again in a moment.`,
      );
    case 'KafkaJSGroupCoordinatorNotFound':
      return kafkaCodeToLabError('COORDINATOR_NOT_AVAILABLE', context);
  }

  if (typeof e.code === 'number') return kafkaCodeToLabError(e.code, withOwn(e), e.message);
  if (typeof e.type === 'string' && KAFKA_ERROR_CODES[e.type] !== undefined) {
    return kafkaCodeToLabError(KAFKA_ERROR_CODES[e.type], withOwn(e), e.message);
  }
  const what = context.action ? `Kafka could not ${context.action}` : 'Kafka could not do this';
  return new LabError('KAFKA_UNAVAILABLE', `${what}: ${e.message ?? e.name}.`);
}
