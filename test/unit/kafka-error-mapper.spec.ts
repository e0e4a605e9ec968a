import * as kafkajs from 'kafkajs';
import { LabError } from '../../src/common/lab-error';
import {
  KAFKA_ERRORS,
  KAFKA_ERROR_NAMES,
  KafkaErrorName,
  kafkaCodeToLabError,
  KAFKA_ERROR_RULES,
  isConnectionFailure,
  isKafkaError,
  isRefusedConnection,
  kafkaErrorName,
  kafkaErrorToLabError,
} from '../../src/kafka/kafka-error.mapper';
import { KafkaCodeError } from '../../src/kafka/kafka-error-codes';
import { KafkaWireError, NoBrokerAnsweredError } from '../../src/kafka/protocol/kafka-connection';

// Runtime classes of kafkajs 2.2.4; some are missing from its type declarations.
const K = kafkajs as unknown as Record<string, new (...args: any[]) => Error>;

/** What kafkajs's protocol layer builds from a response's error code (type/code/message as in its table). */
const protocolError = (code: number, type: string, message: string, retriable = false) =>
  new K.KafkaJSProtocolError({ message, type, code, retriable });

/** The shape admin.createTopics threw on a real 3.9.2 cluster. */
const createTopicsError = (topic: string, code: number, type: string, message: string) =>
  new K.KafkaJSAggregateError('Topic creation errors', [new K.KafkaJSCreateTopicError(protocolError(code, type, message), topic)]);

function mapped(err: unknown, ctx = {}): LabError {
  const out = kafkaErrorToLabError(err, ctx);
  expect(out).toBeInstanceOf(LabError);
  return out as LabError;
}

describe('kafkaErrorToLabError on errors captured from kafkajs 2.2.4 against Kafka 3.9.2', () => {
  it('createTopics with RF 3 on 2 running brokers → 400 naming both numbers', () => {
    const e = mapped(createTopicsError('x-rf3', 38, 'INVALID_REPLICATION_FACTOR', 'Replication-factor is invalid'), {
      replicationFactor: 3,
      liveBrokers: 2,
    });
    expect(e.status).toBe(400);
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toBe('The replication factor 3 is larger than the 2 brokers that are running.');
    expect(e.message).toContain('replication factor 3 is larger than the 2 brokers that are running');
  });

  it('one running broker reads in the singular; an unknown count still gives a sentence', () => {
    expect(mapped(38, { replicationFactor: 2, liveBrokers: 1 }).message).toBe('The replication factor 2 is larger than the 1 broker that is running.');
    expect(mapped(38, { replicationFactor: 4 }).message).toBe('The replication factor 4 is larger than the number of brokers in the cluster.');
  });

  it('an invalid topic name → 400 quoting the name (the topic comes from the kafkajs error itself)', () => {
    const e = mapped(createTopicsError('bad name!', 17, 'INVALID_TOPIC_EXCEPTION', 'The request attempted to perform an operation on an invalid topic'));
    expect(e.status).toBe(400);
    expect(e.message).toBe('"bad name!" is not a valid topic name: use 1 to 249 letters, digits, ".", "_" or "-", and not "." or "..".');
  });

  it('an invalid config → 400 naming the config that was sent', () => {
    const err = createTopicsError('x-badcfg', 40, 'INVALID_CONFIG', 'Configuration is invalid');
    const e = mapped(err, { topic: 'x-badcfg', configs: { 'min.insync.replicas': 'abc' } });
    expect([e.status, e.message]).toEqual([400, 'The topic config min.insync.replicas=abc is not valid.']);
    const many = mapped(err, { configs: { 'min.insync.replicas': 'abc', 'retention.ms': '1' } });
    expect(many.message).toBe('One of the topic configs min.insync.replicas=abc, retention.ms=1 is not valid.');
    expect(mapped(err).message).toBe('A config of topic x-badcfg is not valid.');
  });

  it('acks=all with too few in-sync replicas (retries exhausted) → 503 with the counts', () => {
    const err = new K.KafkaJSNumberOfRetriesExceeded(
      protocolError(19, 'NOT_ENOUGH_REPLICAS', 'Messages are rejected since there are fewer in-sync replicas than required', true),
      { retryCount: 1, retryTime: 300 },
    );
    const e = mapped(err, { topic: 'rf2', partition: 0, inSyncReplicas: 1, minInsyncReplicas: 2 });
    expect(e.status).toBe(503);
    expect(e.code).toBe('KAFKA_UNAVAILABLE');
    expect(e.message).toBe(
      'Partition 0 of topic rf2 refused the write: only 1 in-sync replica, min.insync.replicas is 2. Bring the stopped brokers back or write with acks=1.',
    );
  });

  it('NOT_ENOUGH_REPLICAS_AFTER_APPEND says the write reached the leader only', () => {
    const e = mapped(20, { topic: 'rf2', partition: 1, inSyncReplicas: 1, minInsyncReplicas: 3 });
    expect(e.status).toBe(503);
    expect(e.message).toContain('could not confirm it on enough replicas: only 1 in-sync replica, min.insync.replicas is 3');
  });

  it('a partition without leader (NonRetriable with cause) → 503', () => {
    const cause = protocolError(5, 'LEADER_NOT_AVAILABLE', 'There is no leader for this topic-partition as we are in the middle of a leadership election', true);
    const err = new K.KafkaJSNonRetriableError(cause, { cause });
    const e = mapped(err, { topic: 'rf1', partition: 1 });
    expect(e.status).toBe(503);
    expect(e.message).toBe(
      'Partition 1 of topic rf1 has no leader right now: the brokers holding its replicas are down or an election is under way. Try again when one of them is back.',
    );
  });

  it('producing to a topic that does not exist → 404', () => {
    const err = new K.KafkaJSNumberOfRetriesExceeded(protocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition', true), {});
    const e = mapped(err, { topic: 'nope-topic' });
    expect([e.status, e.code, e.message]).toEqual([404, 'NOT_FOUND', 'Topic nope-topic does not exist.']);
  });
});

describe('kafkaErrorToLabError rules by code', () => {
  const cases: Array<[number, object, number, string]> = [
    [36, { topic: 'orders' }, 409, 'Topic orders already exists.'],
    [37, { topic: 'orders', partitions: 0 }, 400, '0 is not a valid number of partitions for topic orders: it must be at least 1 and can only grow.'],
    [3, { topic: 'orders', partition: 7 }, 404, 'Topic orders does not exist or has no partition 7.'],
    [6, { topic: 'orders', partition: 2 }, 503, 'The leader of partition 2 of topic orders has just moved to another broker; try again.'],
    [7, { action: 'create topic orders' }, 503, 'Kafka did not finish in time to create topic orders; the cluster may be busy or missing brokers. Try again.'],
    [44, { action: 'create topic orders' }, 400, "The cluster's topic policy does not allow this (create topic orders)."],
    [80, { topic: 'orders', partition: 0 }, 503, 'The preferred leader of partition 0 of topic orders is not running or not in sync, so it cannot become leader yet.'],
  ];
  it.each(cases)('code %i with %j → %i', (code, ctx, status, sentence) => {
    const e = mapped(code, ctx);
    expect(e.status).toBe(status);
    expect(e.message).toBe(sentence);
  });

  it('KafkaJSProtocolError maps by its code; our own KafkaCodeError the same', () => {
    expect(mapped(protocolError(36, 'TOPIC_ALREADY_EXISTS', 'Topic with this name already exists'), { topic: 't' }).status).toBe(409);
    expect(mapped(new KafkaCodeError(19), { topic: 't', partition: 0, minInsyncReplicas: 2 }).message).toBe(
      'Partition 0 of topic t refused the write: fewer in-sync replicas than min.insync.replicas (2). Bring the stopped brokers back or write with acks=1.',
    );
  });

  it('an unknown code keeps Kafka\'s type name and message in the sentence', () => {
    const e = mapped(protocolError(47, 'INVALID_PRODUCER_EPOCH', 'Producer attempted an operation with an old epoch'), { action: 'write to topic t' });
    expect(e.status).toBe(503);
    expect(e.message).toBe('Kafka refused to write to topic t: INVALID_PRODUCER_EPOCH (Producer attempted an operation with an old epoch).');
    expect(mapped(999).message).toBe('Kafka refused the request: KAFKA_ERROR_999.');
  });

  it('every rule answers with a non-empty sentence even without context', () => {
    for (const code of Object.keys(KAFKA_ERROR_RULES).map((name) => KAFKA_ERRORS[name as KafkaErrorName])) {
      expect(Number.isInteger(code)).toBe(true);
      const e = mapped(code);
      expect(e.message).toMatch(/^[A-Z"].+\.$/);
      expect(e.status).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('connection failures and timeouts', () => {
  // One broker's failed connection is not a dead cluster: for ~6 s after a broker dies Kafka still
  // lists it (even names it as controller). The whole-cluster sentence needs our own look (noBrokerAnswers).
  const ONE_DOWN = 'Broker 127.0.0.1:31000 does not answer (it may have just stopped; Kafka notices within about 6 s); try again.';
  const ALL_DOWN = 'No broker of the cluster answers at 127.0.0.1:31000, 127.0.0.1:31001; is the cluster running? Start it or a broker and try again.';

  it('a kafkajs connection error names that one broker (503, retriable); the cluster sentence only when no broker answers', () => {
    const err = new K.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:31000', { broker: '127.0.0.1:31000', code: 'ECONNREFUSED' });
    const e = mapped(err, { brokers: ['127.0.0.1:31000', '127.0.0.1:31001'] });
    expect([e.status, e.retriable]).toEqual([503, true]);
    expect(e.message).toBe(ONE_DOWN);
    // Retries that end in a connection error say the same.
    expect(mapped(new K.KafkaJSNumberOfRetriesExceeded(err, {})).message).toBe(ONE_DOWN);
    expect(mapped(err, { action: 'create topic t' }).message).toBe(`Kafka could not create topic t: b${ONE_DOWN.slice(1)}`);
    expect(mapped(new K.KafkaJSBrokerNotFound('Broker 3 not found in the cached metadata')).message).toBe('A broker of the cluster does not answer (it may have just stopped; Kafka notices within about 6 s); try again.');
    // Our metadata found no broker answering: the whole cluster is down.
    expect(mapped(err, { brokers: ['127.0.0.1:31000', '127.0.0.1:31001'], noBrokerAnswers: true }).message).toBe(ALL_DOWN);
    expect(mapped(new K.KafkaJSNoBrokerAvailableError(), { brokers: ['127.0.0.1:31000', '127.0.0.1:31001'] }).message).toBe(ALL_DOWN);
  });

  it('our wire client: refused → 503 naming the broker, silent → TIMEOUT 503, none answering → the cluster sentence', () => {
    const refused = new KafkaWireError('refused', '127.0.0.1:31000', 'broker 127.0.0.1:31000 refused the connection (it is not running)');
    expect(mapped(refused).message).toBe(ONE_DOWN);
    expect(mapped(refused, { noBrokerAnswers: true }).message).toBe('No broker of the cluster answers at 127.0.0.1:31000; is the cluster running? Start it or a broker and try again.');
    const silent = mapped(new KafkaWireError('timeout', '127.0.0.1:31001', 'x'));
    expect([silent.code, silent.status]).toEqual(['TIMEOUT', 503]);
    expect(silent.message).toBe('Broker 127.0.0.1:31001 did not answer in time; it may be paused or overloaded. Try again.');
    expect(mapped(new NoBrokerAnsweredError([refused])).status).toBe(503);
    expect(mapped(new NoBrokerAnsweredError([refused]), { brokers: ['127.0.0.1:31000', '127.0.0.1:31001'] }).message).toBe(ALL_DOWN);
  });

  it('tells a refused connection (nothing sent: safe to send again) from other connection failures', () => {
    const refused = new K.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:31000', { broker: '127.0.0.1:31000', code: 'ECONNREFUSED' });
    expect(isRefusedConnection(refused)).toBe(true);
    expect(isRefusedConnection(new K.KafkaJSNonRetriableError(refused, { cause: refused }))).toBe(true);
    expect(isRefusedConnection(new K.KafkaJSNumberOfRetriesExceeded(refused, {}))).toBe(true);
    expect(isRefusedConnection(new K.KafkaJSBrokerNotFound('Broker 3 not found'))).toBe(true);
    expect(isRefusedConnection(new KafkaWireError('refused', 'b:1', 'x'))).toBe(true);
    // The request may have reached the broker: sending it again could do it twice.
    const closed = new K.KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 31000 });
    expect(isRefusedConnection(closed)).toBe(false);
    expect(isRefusedConnection(new K.KafkaJSRequestTimeoutError('Request CreateTopics timed out', {}))).toBe(false);
    expect(isRefusedConnection(new KafkaWireError('closed', 'b:1', 'x'))).toBe(false);
    expect(isConnectionFailure(closed)).toBe(true);
    expect(mapped(closed).message).toMatch(/^Broker 127\.0\.0\.1:31000 does not answer/);
    expect(isConnectionFailure(protocolError(6, 'NOT_LEADER_OR_FOLLOWER', 'x'))).toBe(false);
  });

  it('request timeouts and metadata not loaded → 503', () => {
    const t = mapped(new K.KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out', {}), { action: 'describe topic t' });
    expect([t.code, t.status]).toEqual(['TIMEOUT', 503]);
    const m = mapped(new K.KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded', { topic: 'orders' }));
    expect([m.status, m.message]).toEqual([503, 'The cluster has not yet told us where the partitions of topic orders are; try again in a moment.']);
  });
});

describe('errors by name', () => {
  it('a rule is found by Kafka\'s name as by its number', () => {
    expect(kafkaCodeToLabError('TOPIC_ALREADY_EXISTS', { topic: 'orders' }).message).toBe('Topic orders already exists.');
    expect(kafkaCodeToLabError(KAFKA_ERRORS.TOPIC_ALREADY_EXISTS, { topic: 'orders' }).message).toBe('Topic orders already exists.');
  });

  it('retriable follows the code: a missing leader may pass, a bad input does not', () => {
    expect(kafkaCodeToLabError('LEADER_NOT_AVAILABLE').retriable).toBe(true);
    expect(kafkaCodeToLabError('INVALID_REPLICATION_FACTOR').retriable).toBe(false);
    expect(kafkaCodeToLabError('TOPIC_ALREADY_EXISTS').retriable).toBe(false);
  });
});

describe('plain Errors thrown from inside kafkajs', () => {
  /** kafkajs's Broker throws this when a request races a dying connection (seen as a 500 before). */
  const fromKafkajs = (message: string) => {
    const e = new Error(message);
    e.stack = `Error: ${message}\n    at notInitializedLookup (/app/node_modules/kafkajs/src/broker/index.js:14:9)\n    at Broker.joinGroup (/app/node_modules/kafkajs/src/broker/index.js:400:1)`;
    return e;
  };

  it('"Broker not connected" → 503, retriable: one broker, or the cluster when no broker answers', () => {
    const e = mapped(fromKafkajs('Broker not connected'), { brokers: ['127.0.0.1:9092'] });
    expect([e.status, e.code, e.retriable]).toEqual([503, 'KAFKA_UNAVAILABLE', true]);
    expect(e.message).toBe('A broker of the cluster does not answer (it may have just stopped; Kafka notices within about 6 s); try again.');
    expect(isRefusedConnection(fromKafkajs('Broker not connected'))).toBe(true);
    const all = mapped(fromKafkajs('Broker not connected'), { brokers: ['127.0.0.1:9092'], noBrokerAnswers: true });
    expect(all.message).toBe('No broker of the cluster answers at 127.0.0.1:9092; is the cluster running? Start it or a broker and try again.');
  });

  it('any other plain Error from kafkajs → 503 with its words; the same Error from our code stays a bug', () => {
    const e = mapped(fromKafkajs('something odd'), { action: 'start a consumer on t' });
    expect([e.status, e.message]).toEqual([503, 'Kafka could not start a consumer on t: something odd.']);
    const ours = new Error('Broker not connected');
    expect(kafkaErrorToLabError(ours)).toBe(ours);
  });
});

describe('what is not a Kafka error', () => {
  it('a LabError passes through; a bug is returned unchanged (the filter answers 500)', () => {
    const lab = new LabError('NOT_FOUND', 'x');
    expect(kafkaErrorToLabError(lab)).toBe(lab);
    const bug = new TypeError('cannot read properties of undefined');
    expect(kafkaErrorToLabError(bug)).toBe(bug);
    expect(isKafkaError(bug)).toBe(false);
    expect(isKafkaError(new K.KafkaJSError('x'))).toBe(true);
  });
});

describe('Kafka error code table', () => {
  it('names codes as Kafka 4.4.0 does (3.9.2 the same up to 127)', () => {
    expect(KAFKA_ERROR_NAMES[36]).toBe('TOPIC_ALREADY_EXISTS');
    expect(KAFKA_ERROR_NAMES[-1]).toBe('UNKNOWN_SERVER_ERROR');
    expect(kafkaErrorName(84)).toBe('ELECTION_NOT_NEEDED');
    expect(kafkaErrorName(6)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(kafkaErrorName(133)).toBe('SHARE_SESSION_LIMIT_REACHED');
    expect(Object.keys(KAFKA_ERROR_NAMES)).toHaveLength(138);
  });
});
