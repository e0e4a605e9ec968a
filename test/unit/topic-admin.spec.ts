import * as kafkajs from 'kafkajs';
import { LabError } from '../../src/common/lab-error';
import { KafkaService } from '../../src/kafka/kafka.service';
import type { MetadataSnapshot } from '../../src/kafka/metadata-snapshot';
import { KafkaWireError, NoBrokerAnsweredError } from '../../src/kafka/protocol/kafka-connection';
import { TopicAdmin } from '../../src/kafka/topic-admin';

// Runtime classes of kafkajs 2.2.4; some are missing from its type declarations.
const K = kafkajs as unknown as Record<string, new (...args: any[]) => Error>;
const refused = () => new K.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:31002', { broker: '127.0.0.1:31002', code: 'ECONNREFUSED' });
const topic = { name: 't', partitions: 1, replicationFactor: 2, configs: {} };

/** A TopicAdmin over a stub kafkajs admin whose createTopics/deleteTopics run `answers` in turn. */
function adminWith(answers: Array<() => Promise<unknown>>) {
  const calls: Array<{ timeout: number }> = [];
  const next = (opts: { timeout: number }) => (calls.push(opts), (answers[calls.length - 1] ?? answers[answers.length - 1])());
  const admin = { createTopics: next, deleteTopics: next };
  const resets: number[] = [];
  const kafka = { admin: async () => admin, resetAdmin: async () => void resets.push(calls.length) } as unknown as KafkaService;
  return { ta: new TopicAdmin(kafka), calls, resets };
}

describe('TopicAdmin: a topic change sent to a broker that has just died', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is sent again when the connection was refused (nothing was sent), within the deadline', async () => {
    const { ta, calls } = adminWith([() => Promise.reject(refused()), () => Promise.resolve(true)]);
    const p = ta.createTopic(topic, Date.now() + 25_000);
    await jest.advanceTimersByTimeAsync(300);
    await expect(p).resolves.toBe(true);
    expect(calls).toHaveLength(2);
    // Kafka's own timeout fits the time left: at most 10 s.
    expect(calls[0].timeout).toBe(10_000);
  });

  it('gives up after two more tries, and never sends again what may have reached the broker', async () => {
    const { ta, calls } = adminWith([() => Promise.reject(refused())]);
    const p = ta.deleteTopic('t', Date.now() + 25_000);
    const seen = p.catch((e) => e);
    await jest.advanceTimersByTimeAsync(2_000);
    expect((await seen).name).toBe('KafkaJSConnectionError');
    expect(calls).toHaveLength(3);

    const closed = adminWith([() => Promise.reject(new K.KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 31002 }))]);
    await expect(closed.ta.createTopic(topic, Date.now() + 25_000)).rejects.toThrow('Closed connection');
    expect(closed.calls).toHaveLength(1);
  });

  it('asks once more on a new admin client when kafkajs says a topic is unknown (its admin still asks for one deleted since)', async () => {
    const unknown = new K.KafkaJSProtocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });
    const { ta, calls, resets } = adminWith([() => Promise.reject(new K.KafkaJSNumberOfRetriesExceeded(unknown, {})), () => Promise.resolve(true)]);
    await expect(ta.createTopic(topic, Date.now() + 25_000)).resolves.toBe(true);
    expect([calls.length, resets]).toEqual([2, [1]]);
    // Still unknown on the new client: that answer stands (the caller says what it means).
    const still = adminWith([() => Promise.reject(unknown)]);
    await expect(still.ta.deleteTopic('t', Date.now() + 25_000)).rejects.toBe(unknown);
    expect([still.calls.length, still.resets]).toEqual([2, [1]]);
  });

  it('answers TIMEOUT at the deadline when Kafka does not answer, and does not retry with no time left', async () => {
    const { ta } = adminWith([() => new Promise(() => undefined)]);
    const p = ta.createTopic(topic, Date.now() + 4_000);
    const seen = p.catch((e) => e);
    await jest.advanceTimersByTimeAsync(4_000);
    const e = await seen;
    expect(e).toBeInstanceOf(LabError);
    expect((e as LabError).code).toBe('TIMEOUT');

    const late = adminWith([() => Promise.reject(refused())]);
    await expect(late.ta.createTopic(topic, Date.now() + 2_000)).rejects.toThrow('ECONNREFUSED');
    expect(late.calls).toHaveLength(1);
  });
});

describe('KafkaService.explain: one broker down or the whole cluster', () => {
  const source = { bootstrapServers: () => ['127.0.0.1:31000', '127.0.0.1:31002'] };
  const serviceWhere = (fresh: () => Promise<unknown>) =>
    new KafkaService(source, { fresh } as unknown as MetadataSnapshot);

  it('names the one broker while our metadata request is answered', async () => {
    const e = await serviceWhere(async () => ({ brokers: [] })).explain(refused(), { action: 'create topic t' });
    expect(e.message).toBe('Kafka could not create topic t: broker 127.0.0.1:31002 does not answer (it may have just stopped; Kafka notices within about 6 s); try again.');
    expect((e as LabError).retriable).toBe(true);
  });

  it('says no broker answers when none answers our metadata request either', async () => {
    const none = new NoBrokerAnsweredError([new KafkaWireError('refused', '127.0.0.1:31000', 'x')]);
    const e = await serviceWhere(() => Promise.reject(none)).explain(refused(), { action: 'create topic t' });
    expect(e.message).toBe('No broker of the cluster answers at 127.0.0.1:31000, 127.0.0.1:31002; is the cluster running? Start it or a broker and try again.');
  });

  it('does not look when the failure is not a connection failure', async () => {
    const fresh = jest.fn(async () => ({}));
    const e = await serviceWhere(fresh).explain(new K.KafkaJSProtocolError({ message: 'x', type: 'TOPIC_ALREADY_EXISTS', code: 36 }), { topic: 't' });
    expect(e.message).toBe('Topic t already exists.');
    expect(fresh).not.toHaveBeenCalled();
  });
});
