import { ClassSettingsService } from '../../src/class/class-settings.service';
import { DEFAULT_QUOTAS, Quotas } from '../../src/class/class.types';
import type { Principal } from '../../src/class/principal';
import { QuotaService } from '../../src/class/quotas';
import { LabError } from '../../src/common/lab-error';
import { errorAnswerOf } from '../../src/common/http-exception.filter';
import type { Request } from 'express';

const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };
const bob: Principal = { id: 'xyz789', name: 'Bob', role: 'student' };
const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };

/** A QuotaService over settings held in memory (the service only reads get()); `set` changes quotas the way PATCH /api/class would. */
function quotas(over: Partial<Quotas> = {}) {
  const current = { joinCode: 'code', joinOpen: true, studentsMayControlBrokers: false, quotas: { ...DEFAULT_QUOTAS } };
  const settings = { get: () => current } as unknown as ClassSettingsService;
  const set = (q: Partial<Quotas>) => Object.assign(settings.get().quotas, q);
  set(over);
  return { q: new QuotaService(settings), set };
}

/** What the call threw (a LabError), or null when it passed. */
function refusal(act: () => void): LabError | null {
  try {
    act();
    return null;
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    return e;
  }
}

const topic = (name: string, partitions: number, errorCode = 0) => ({ name, partitions: new Array(partitions).fill(0), errorCode });

describe('QuotaService: topics', () => {
  it('counts only the student\'s own topics and refuses one more at the quota with a 409 naming it', () => {
    const { q } = quotas({ topics: 2 });
    const cluster = [topic('s-abc123.a', 1), topic('shared', 3), topic('s-xyz789.a', 1), topic('s-xyz789.b', 1)];
    expect(refusal(() => q.topicCreate(ada, 1, cluster))).toBeNull();
    const e = refusal(() => q.topicCreate(ada, 1, [...cluster, topic('s-abc123.b', 1)]));
    expect([e?.status, e?.message]).toEqual([409, 'You have 2 topics, the most a student may have in this class (quota topics = 2); delete one first.']);
    // Bob has two as well, Ada's do not count for him; a half-deleted entry (error) is not counted.
    expect(refusal(() => q.topicCreate(bob, 1, [topic('s-xyz789.a', 1), topic('s-xyz789.b', 1, 3)]))).toBeNull();
  });

  it('refuses too many partitions for one topic, and in total, saying the numbers', () => {
    const { q } = quotas({ partitionsPerTopic: 6, partitions: 10 });
    expect(refusal(() => q.topicCreate(ada, 7, []))?.message).toBe(
      'A topic of a student may have at most 6 partitions in this class (quota partitionsPerTopic = 6); this one asks for 7.',
    );
    expect(refusal(() => q.topicCreate(ada, 4, [topic('s-abc123.a', 6)]))).toBeNull();
    const e = refusal(() => q.topicCreate(ada, 5, [topic('s-abc123.a', 6)]));
    expect([e?.code, e?.message]).toEqual([
      'LIMIT_REACHED',
      'Your topics have 6 partitions; 5 more would pass the 10 a student may have in this class (quota partitions = 10); delete a topic or ask for fewer partitions.',
    ]);
  });

  it('reads the settings at each decision: a raised or lowered quota applies to the next request', () => {
    const { q, set } = quotas({ topics: 1 });
    const mine = [topic('s-abc123.a', 1)];
    expect(refusal(() => q.topicCreate(ada, 1, mine))).not.toBeNull();
    set({ topics: 2 });
    expect(refusal(() => q.topicCreate(ada, 1, mine))).toBeNull();
    set({ topics: 0 });
    expect(refusal(() => q.topicCreate(ada, 1, []))?.message).toBe('Students may have no topics in this class (quota topics = 0).');
  });

  it('says "more than" when a lowered quota is already passed', () => {
    const { q } = quotas({ topics: 1 });
    expect(refusal(() => q.topicCreate(ada, 1, [topic('s-abc123.a', 1), topic('s-abc123.b', 1)]))?.message).toBe(
      'You have 2 topics, more than the 1 a student may have in this class (quota topics = 1); delete one first.',
    );
  });

  it('binds the instructor to nothing', () => {
    const { q } = quotas({ topics: 0, partitionsPerTopic: 0, partitions: 0, consumers: 0, messagesPerRequest: 0, producePerSecond: 0, sockets: 0 });
    expect(refusal(() => q.topicCreate(instructor, 100, [topic('a', 100), topic('b', 100)]))).toBeNull();
    expect(refusal(() => q.consumerCreate(instructor, 1000))).toBeNull();
    expect(refusal(() => q.produce(instructor, 10_000))).toBeNull();
    expect(q.socketRefusal(instructor, 1000)).toBeNull();
  });
});

describe('QuotaService: a student\'s topic creates one at a time', () => {
  /** A create that runs until `finish` is called; `log` says when each started and ended. */
  function gated(log: string[], name: string, fail = false) {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const run = async () => {
      log.push(`${name} starts`);
      await done;
      log.push(`${name} ends`);
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
    return { run, finish };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it('starts a student\'s second create only once the first has answered, even when the first failed', async () => {
    const { q } = quotas();
    const log: string[] = [];
    const [a, b, c] = [gated(log, 'a', true), gated(log, 'b'), gated(log, 'c')];
    const pa = q.oneTopicCreateAtATime(ada, a.run).catch((e: Error) => e.message);
    const pb = q.oneTopicCreateAtATime(ada, b.run);
    const pc = q.oneTopicCreateAtATime(bob, c.run);
    await settle();
    // Bob's runs beside Ada's first; Ada's second waits.
    expect(log).toEqual(['a starts', 'c starts']);
    a.finish();
    await settle();
    expect(log).toEqual(['a starts', 'c starts', 'a ends', 'b starts']);
    b.finish();
    c.finish();
    expect(await Promise.all([pa, pb, pc])).toEqual(['a failed', 'b', 'c']);
  });

  it('says when a student\'s queued creates have all answered (a purge waits for them)', async () => {
    const { q } = quotas();
    const log: string[] = [];
    const [a, b] = [gated(log, 'a'), gated(log, 'b')];
    const pa = q.oneTopicCreateAtATime(ada, a.run);
    const pb = q.oneTopicCreateAtATime(ada, b.run);
    let settled = false;
    const done = q.topicCreatesSettled(ada.id).then(() => (settled = true));
    a.finish();
    await settle();
    expect(settled).toBe(false);
    b.finish();
    await done;
    expect(await Promise.all([pa, pb])).toEqual(['a', 'b']);
    await expect(q.topicCreatesSettled(bob.id)).resolves.toBeUndefined();
  });

  it('never holds the instructor\'s creates back', async () => {
    const { q } = quotas();
    const log: string[] = [];
    const [a, b] = [gated(log, 'a'), gated(log, 'b')];
    const both = Promise.all([q.oneTopicCreateAtATime(instructor, a.run), q.oneTopicCreateAtATime(instructor, b.run)]);
    await settle();
    expect(log).toEqual(['a starts', 'b starts']);
    a.finish();
    b.finish();
    expect(await both).toEqual(['a', 'b']);
  });
});

describe('QuotaService: consumers and sockets', () => {
  it('refuses a consumer at the quota with a 409 naming it', () => {
    const { q } = quotas({ consumers: 3 });
    expect(refusal(() => q.consumerCreate(ada, 2))).toBeNull();
    const e = refusal(() => q.consumerCreate(ada, 3));
    expect([e?.status, e?.message]).toEqual([409, 'You have 3 consumers running, the most a student may have in this class (quota consumers = 3); stop or delete one first.']);
  });

  it('says why one more socket is refused, and lets one through below the quota', () => {
    const { q } = quotas({ sockets: 2 });
    expect(q.socketRefusal(ada, 1)).toBeNull();
    expect(q.socketRefusal(ada, 2)).toBe('You have 2 sockets open, the most a student may have in this class (quota sockets = 2); close one first.');
  });
});

describe('QuotaService: produce', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-02T08:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('refuses a request over messagesPerRequest with a 409 before touching the rate', () => {
    const { q } = quotas({ messagesPerRequest: 10, producePerSecond: 10 });
    const e = refusal(() => q.produce(ada, 11));
    expect([e?.status, e?.message]).toEqual([
      409,
      'A request of a student may carry at most 10 messages in this class (quota messagesPerRequest = 10); this one has 11: send them in smaller requests.',
    ]);
    // Nothing was taken from the bucket: a full second's worth still goes through.
    expect(refusal(() => q.produce(ada, 10))).toBeNull();
  });

  it('lets one second\'s worth through at once, then answers 429 with Retry-After until the bucket refills', () => {
    const { q } = quotas({ producePerSecond: 5, messagesPerRequest: 100 });
    for (let i = 0; i < 5; i++) expect(refusal(() => q.produce(ada, 1))).toBeNull();
    const e = refusal(() => q.produce(ada, 1));
    expect([e?.status, e?.retriable, e?.retryAfterSeconds]).toEqual([429, true, 1]);
    expect(e?.message).toBe(
      'You are producing faster than the 5 messages per second a student may produce in this class (quota producePerSecond = 5); this message was not written: try again in 1 s.',
    );
    // Another student has a bucket of their own.
    expect(refusal(() => q.produce(bob, 5))).toBeNull();
    jest.advanceTimersByTime(199);
    expect(refusal(() => q.produce(ada, 1))).not.toBeNull();
    jest.advanceTimersByTime(1); // 200 ms at 5/s = one message
    expect(refusal(() => q.produce(ada, 1))).toBeNull();
    expect(refusal(() => q.produce(ada, 1))).not.toBeNull();
  });

  it('holds the rate over time: 5/s for 10 s admits about 50 messages, however they are sent', () => {
    const { q } = quotas({ producePerSecond: 5, messagesPerRequest: 100 });
    let admitted = 0;
    for (let t = 0; t < 10_000; t += 50) {
      if (!refusal(() => q.produce(ada, 1))) admitted++;
      jest.advanceTimersByTime(50);
    }
    // The first second's burst (5) plus 5 per second after it.
    expect(admitted).toBeGreaterThanOrEqual(50);
    expect(admitted).toBeLessThanOrEqual(55);
  });

  it('lets a request larger than a second\'s worth through from a full bucket and makes the next wait for the debt', () => {
    const { q } = quotas({ producePerSecond: 10, messagesPerRequest: 30 });
    expect(refusal(() => q.produce(ada, 30))).toBeNull();
    // 20 in debt: the next 30 wait until the bucket is full again, 3 s.
    const e = refusal(() => q.produce(ada, 30));
    expect(e?.retryAfterSeconds).toBe(3);
    expect(e?.message).toMatch(/these 30 messages were not written: try again in 3 s\.$/);
    jest.advanceTimersByTime(3000);
    expect(refusal(() => q.produce(ada, 30))).toBeNull();
  });

  it('applies a changed rate at the next request, and a rate of 0 is a 409 (waiting does not help)', () => {
    const { q, set } = quotas({ producePerSecond: 100, messagesPerRequest: 1000 });
    expect(refusal(() => q.produce(ada, 10))).toBeNull();
    set({ producePerSecond: 2 });
    // The 90 saved up are cut to the new second's worth, 2.
    expect(refusal(() => q.produce(ada, 2))).toBeNull();
    expect(refusal(() => q.produce(ada, 1))?.status).toBe(429);
    set({ producePerSecond: 0 });
    const e = refusal(() => q.produce(ada, 1));
    expect([e?.status, e?.message]).toEqual([409, 'Students may not produce in this class (quota producePerSecond = 0).']);
  });

  it('forgets a removed student\'s bucket', () => {
    const { q } = quotas({ producePerSecond: 1 });
    q.produce(ada, 1);
    expect(refusal(() => q.produce(ada, 1))).not.toBeNull();
    q.forget(ada.id);
    expect(refusal(() => q.produce(ada, 1))).toBeNull();
  });

  it('answers the refill time as Retry-After over HTTP', () => {
    const { q } = quotas({ producePerSecond: 1, messagesPerRequest: 10 });
    q.produce(ada, 10);
    const answer = errorAnswerOf(refusal(() => q.produce(ada, 1)), {} as Request);
    expect([answer.body.statusCode, answer.headers['Retry-After']]).toEqual([429, '10']);
  });
});

describe('DEFAULT_QUOTAS', () => {
  it('lets a request of messagesPerRequest through from a full bucket even though it exceeds one second', () => {
    const { q } = quotas(DEFAULT_QUOTAS);
    expect(refusal(() => q.produce(ada, DEFAULT_QUOTAS.messagesPerRequest))).toBeNull();
  });
});
