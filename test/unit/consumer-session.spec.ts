import { Logger } from '@nestjs/common';
import { ConsumerSession } from '../../src/consumers/consumer-session';
import { ClassicConsumer, ConsumerSource } from '../../src/kafka/classic-consumer';
import { LiveBus } from '../../src/timeline/live-bus';
import type { NewEvent } from '../../src/timeline/timeline.types';

/** A kafkajs consumer stand-in: records listeners so the test can play kafkajs's instrumentation events. */
function fakeConsumer() {
  const listeners = new Map<string, (e: { payload: any }) => void>();
  const events = { GROUP_JOIN: 'join', HEARTBEAT: 'hb', FETCH_START: 'fs', FETCH: 'fetch', REBALANCING: 'reb', CRASH: 'crash' };
  const calls: string[] = [];
  return {
    events,
    calls,
    disconnected: false,
    runOptions: null as any,
    on: (name: string, fn: (e: { payload: any }) => void) => (listeners.set(name, fn), () => listeners.delete(name)),
    connect: async () => undefined,
    subscribe: async () => undefined,
    async run(opts: any) { this.runOptions = opts; },
    async disconnect() { calls.push('disconnect'); this.disconnected = true; },
    fire: (name: keyof typeof events, payload: any) => listeners.get(events[name])?.({ payload }),
  };
}

function setup() {
  const consumer = fakeConsumer();
  const published: NewEvent[] = [];
  const commits: Array<{ who: any; offsets: Array<{ topic: string; partition: number; offset: string }> }> = [];
  /** What the fake coordinator answers to the next commits (default: stored). */
  const answer = { code: 0, fail: false };
  const kafka = { consumer: () => consumer } as unknown as ConsumerSource;
  const commitOffsets = async (who: any, offsets: any[]) => {
    consumer.calls.push('commit');
    commits.push({ who, offsets });
    if (answer.fail) throw new Error('no answer');
    return new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, answer.code]));
  };
  const timeline = { publish: (ev: NewEvent) => (published.push(ev), ev) } as any;
  // The real kafkajs wrapper over the stand-in: the session and its member are tested together here.
  const session = new ConsumerSession(
    { id: 'abc12345', name: 'c', owner: 'instructor', groupId: 'g', topics: ['t'], clusterGroupId: 'g', clusterTopics: ['t'], fromBeginning: false },
    {
      members: (options, events) => new ClassicConsumer(kafka, options, events),
      commitOffsets,
      timeline,
      bus: new LiveBus(),
      sessionTimeoutMs: 6000,
      log: new Logger('test'),
    },
  );
  const rebalances = () => published.filter((e) => e.type === 'group.rebalanced');
  /** Plays one fetched batch of `offsets` of `t`/`partition` through the consumer's eachBatch. */
  const batch = async (partition: number, offsets: number[]) => {
    const resolved: string[] = [];
    await consumer.runOptions.eachBatch({
      batch: { topic: 't', partition, messages: offsets.map((o) => ({ offset: String(o), key: null, value: Buffer.from(`v${o}`), timestamp: '0', headers: {} })) },
      resolveOffset: (o: string) => resolved.push(o),
      isRunning: () => true,
      isStale: () => false,
    });
    return resolved;
  };
  return { consumer, session, published, rebalances, commits, answer, batch };
}

/** Moves the fake clock in small steps until `fn` holds, at most `ms`. */
async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await jest.advanceTimersByTimeAsync(10);
  }
}

/** Lets `ms` pass on the fake clock (timers due meanwhile run). */
const pass = (ms: number) => jest.advanceTimersByTimeAsync(ms);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('ConsumerSession rebalance story', () => {
  it('publishes one group.rebalanced per join, with the generation from the next heartbeat', async () => {
    const { consumer, session, rebalances } = setup();
    await session.start('instructor');
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0, 1, 2] } });
    expect(session.view()).toMatchObject({ state: 'running', memberId: 'm1', assignment: [{ topic: 't', partitions: [0, 1, 2] }] });
    expect(rebalances()).toHaveLength(0); // waiting for the generation
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 7 });
    expect(rebalances()).toEqual([
      expect.objectContaining({ groupId: 'g', consumerId: 'abc12345', memberId: 'm1', generation: 7, assigned: [{ topic: 't', partitions: [0, 1, 2] }], revoked: [] }),
    ]);

    // Another member joins: this one loses partition 1; eager, it is revoked everything and given 0 and 2 again.
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0, 2] } });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 8 });
    expect(rebalances()[1]).toMatchObject({ generation: 8, protocol: 'classic', assigned: [{ topic: 't', partitions: [0, 2] }], revoked: [{ topic: 't', partitions: [0, 1, 2] }], owned: [{ topic: 't', partitions: [0, 2] }] });

    // A rejoin of the same generation with the same partitions (coordinator failover) is not a rebalance.
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [2, 0] } });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 8 });
    expect(rebalances()).toHaveLength(2);

    // A new generation is a rebalance even when this member's share did not change.
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0, 2] } });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 9 });
    expect(rebalances()).toHaveLength(3);
    expect(rebalances()[2]).toMatchObject({ generation: 9, assigned: [{ topic: 't', partitions: [0, 2] }], revoked: [{ topic: 't', partitions: [0, 2] }] });
  });

  it('stop revokes everything and says consumer.stopped; a second stop is a conflict', async () => {
    const { consumer, session, published, rebalances } = setup();
    await session.start('instructor');
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [1, 3] } });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 2 });
    await session.stop('instructor');
    expect(consumer.disconnected).toBe(true);
    expect(session.view()).toMatchObject({ state: 'stopped', assignment: [] });
    expect(rebalances()[1]).toMatchObject({ assigned: [], revoked: [{ topic: 't', partitions: [1, 3] }], owned: [] });
    expect(published.map((e) => e.type)).toEqual(['consumer.started', 'group.rebalanced', 'group.rebalanced', 'consumer.stopped']);
    await expect(session.stop('instructor')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(() => session.kill('instructor')).toThrow(/not running/);
  });

  it('a crash with restart: consumer.crashed once, then consumer.recovered at the next join (new memberId)', async () => {
    const { consumer, session, published } = setup();
    await session.start('instructor');
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0] } });
    consumer.fire('CRASH', { error: new Error('boom'), restart: true });
    consumer.fire('CRASH', { error: new Error('boom again'), restart: true });
    expect(session.view().state).toBe('crashed');
    consumer.fire('GROUP_JOIN', { memberId: 'm2', memberAssignment: { t: [0] } });
    consumer.fire('HEARTBEAT', { memberId: 'm2', groupGenerationId: 5 });
    expect(session.view()).toMatchObject({ state: 'running', memberId: 'm2', id: 'abc12345' });
    const types = published.map((e) => e.type);
    expect(types.filter((t) => t === 'consumer.crashed')).toHaveLength(1);
    expect(types.filter((t) => t === 'consumer.recovered')).toHaveLength(1);
    session.kill('instructor');
    expect(session.view().state).toBe('killed');
  });
});

describe('ConsumerSession offsets', () => {
  async function joined() {
    const t = setup();
    await t.session.start('instructor');
    t.consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0, 1] } });
    t.consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 3 });
    return t;
  }

  it('commits what was shown shortly after a batch, as the member and generation of the join, not per batch', async () => {
    const { commits, batch, session } = await joined();
    expect(await batch(0, [10, 11, 12])).toEqual(['10', '11', '12']);
    await batch(1, [4]);
    await batch(0, [13]);
    expect(commits).toHaveLength(0); // not inside the fetch loop
    await until('a commit', () => commits.length > 0);
    expect(commits).toEqual([{ who: { groupId: 'g', memberId: 'm1', generation: 3 }, offsets: [{ topic: 't', partition: 0, offset: '14' }, { topic: 't', partition: 1, offset: '5' }] }]);
    expect(session.view().received).toBe(5);
    // Nothing new shown: nothing more committed.
    await pass(400);
    expect(commits).toHaveLength(1);
  });

  it('a graceful stop commits what was shown before it leaves the group; a kill commits nothing', async () => {
    const a = await joined();
    await a.batch(0, [0, 1]);
    await a.session.stop('instructor');
    expect(a.consumer.calls).toEqual(['commit', 'disconnect']);
    expect(a.commits[0].offsets).toEqual([{ topic: 't', partition: 0, offset: '2' }]);

    const b = await joined();
    await b.batch(0, [0, 1]);
    b.session.kill('instructor');
    await pass(400);
    expect(b.commits).toHaveLength(0);
  });

  it('commits at once when the group starts rebalancing, and shows nothing twice when kafkajs reads again from the last commit', async () => {
    const { consumer, commits, batch, session, answer } = await joined();
    await batch(0, [0, 1, 2]);
    answer.code = 27; // REBALANCE_IN_PROGRESS: refused, tried again later
    consumer.fire('REBALANCING', {});
    await until('the rebalance commit', () => commits.length === 1);
    // The rejoin keeps partition 0; kafkajs starts again where the last successful commit left it.
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0] } });
    answer.code = 0;
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 4 });
    expect(await batch(0, [0, 1, 2, 3])).toEqual(['0', '1', '2', '3']); // resolved, so kafkajs moves on
    expect(session.messages(0, 100).messages.map((m) => m.offset)).toEqual(['0', '1', '2', '3']);
    await until('the commit as generation 4', () => commits.some((c) => c.who.generation === 4));
    expect(commits.find((c) => c.who.generation === 4)!.offsets).toEqual([{ topic: 't', partition: 0, offset: '4' }]);
  });

  it('sends the commit with the batch, ahead of the kafkajs heartbeat, when one is due (it may learn of a rebalance)', async () => {
    const { commits, batch } = await joined();
    await pass(600); // the heartbeat interval here is 600 ms
    await batch(1, [3, 4]);
    expect(commits).toEqual([expect.objectContaining({ offsets: [{ topic: 't', partition: 1, offset: '5' }] })]);
  });

  it('between REBALANCING and the next join it shows and resolves nothing (read again after the rejoin)', async () => {
    const { consumer, batch, session } = await joined();
    consumer.fire('REBALANCING', {});
    expect(await batch(0, [0, 1])).toEqual([]);
    expect(session.view().received).toBe(0);
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0] } });
    expect(await batch(0, [0, 1])).toEqual(['0', '1']);
    expect(session.view().received).toBe(2);
  });

  it('tries a commit that got no answer again', async () => {
    const { commits, batch, answer } = await joined();
    answer.fail = true;
    await batch(1, [7]);
    await until('the first attempt', () => commits.length === 1);
    answer.fail = false;
    await until('the retry', () => commits.length === 2, 3000);
    expect(commits[1].offsets).toEqual([{ topic: 't', partition: 1, offset: '8' }]);
  });
});

describe('ClassicConsumer (the kafkajs member behind a session)', () => {
  function member() {
    const consumer = fakeConsumer();
    const made: { config: any; client: any } = { config: null, client: null };
    const source = { consumer: (config: any, client: any) => ((made.config = config), (made.client = client), consumer) } as unknown as ConsumerSource;
    const seen: string[] = [];
    const life = { alive: true };
    const m = new ClassicConsumer(
      source,
      { clientId: 'kafka-lab-c-x', groupId: 'g', topics: ['t'], fromBeginning: true, sessionTimeoutMs: 6000, heartbeatIntervalMs: 600, mayRestart: () => life.alive },
      {
        joined: (id, a, gen) => seen.push(`join ${id} ${JSON.stringify(a)} ${gen}`),
        heartbeat: (id, gen) => seen.push(`hb ${id} ${gen}`),
        fetchStarted: () => seen.push('fetchStart'),
        fetched: () => seen.push('fetch'),
        rebalancing: () => seen.push('rebalancing'),
        crashed: (e, restarting) => seen.push(`crash ${e.message} ${restarting}`),
        batch: async (b) => void seen.push(`batch ${b.topic}/${b.partition} ${b.records.map((r) => r.offset).join(',')} ${b.current()}`),
      },
    );
    return { consumer, made, seen, life, m };
  }

  it('takes a join\'s generation from kafkajs\'s "Received assignment" log line, when it is for that member', () => {
    const { consumer, made, seen } = member();
    const log = made.client.logCreator();
    log({ log: { message: 'Received assignment', memberId: 'm1', generationId: 12 } });
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0] } });
    log({ log: { message: 'Received assignment', memberId: 'someone-else', generationId: 13 } });
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [1] } });
    expect(seen).toEqual(['join m1 {"t":[0]} 12', 'join m1 {"t":[1]} null']);
    expect(made.config).toMatchObject({ groupId: 'g', sessionTimeout: 6000, heartbeatInterval: 600, allowAutoTopicCreation: false });
    expect(made.client.clientId).toBe('kafka-lab-c-x');
  });

  it('runs without auto-commit or auto-resolve and hands batches over as records', async () => {
    const { consumer, seen, m } = member();
    await m.start(() => seen.push('subscribed'));
    expect(consumer.runOptions).toMatchObject({ autoCommit: false, eachBatchAutoResolve: false });
    await consumer.runOptions.eachBatch({
      batch: { topic: 't', partition: 2, messages: [{ offset: '5' }, { offset: '6' }] },
      resolveOffset: () => undefined,
      isRunning: () => true,
      isStale: () => true,
    });
    expect(seen).toEqual(['subscribed', 'batch t/2 5,6 false']);
  });

  it('after a cut: no connection, no restart, no event, no batch', async () => {
    const { consumer, made, seen, m } = member();
    await m.start();
    expect(await made.config.retry.restartOnFailure()).toBe(true);
    m.cut();
    expect(() => made.client.socketFactory({ host: '127.0.0.1', port: 9, onConnect: () => undefined })).toThrow(/killed/);
    expect(await made.config.retry.restartOnFailure()).toBe(false);
    consumer.fire('CRASH', { error: new Error('x'), restart: false });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 1 });
    await consumer.runOptions.eachBatch({ batch: { topic: 't', partition: 0, messages: [{ offset: '1' }] }, resolveOffset: () => undefined, isRunning: () => true, isStale: () => false });
    expect(seen).toEqual([]);
    expect(consumer.disconnected).toBe(true);
  });

  it('asks its owner whether to restart after a crash', async () => {
    const { made, life } = member();
    life.alive = false;
    expect(await made.config.retry.restartOnFailure()).toBe(false);
  });
});

describe('ConsumerSession supervision (a member replaced, the session kept)', () => {
  function replaceable() {
    const made: Array<ReturnType<typeof fakeConsumer>> = [];
    const published: NewEvent[] = [];
    const kafka = { consumer: () => (made.push(fakeConsumer()), made[made.length - 1]) } as unknown as ConsumerSource;
    const session = new ConsumerSession(
      { id: 'sup00001', name: 'c', owner: 'instructor', groupId: 'g', topics: ['t'], clusterGroupId: 'g', clusterTopics: ['t'], fromBeginning: false },
      {
        members: (options, events) => new ClassicConsumer(kafka, options, events),
        commitOffsets: async (_who: any, offsets: any[]) => new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, 0])),
        timeline: { publish: (ev: NewEvent) => (published.push(ev), { ...ev, seq: published.length }), lastSeq: 0 } as any,
        bus: new LiveBus(),
        sessionTimeoutMs: 6000,
        log: new Logger('test'),
      },
    );
    return { made, published, session };
  }

  it('a crash kafkajs does not restart from: a new member after the backoff, same id, recovered at its join', async () => {
    const { made, published, session } = replaceable();
    await session.start('instructor');
    made[0].fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0] } });
    made[0].fire('CRASH', { error: new Error('The coordinator is not aware of this member'), restart: false });
    expect(session.view().state).toBe('crashed');
    await pass(999);
    expect(made).toHaveLength(1);
    await pass(1);
    expect(made).toHaveLength(2);
    expect(made[0].disconnected).toBe(true); // the old member left first
    made[0].fire('GROUP_JOIN', { memberId: 'm-old', memberAssignment: { t: [0] } }); // detached: not heard
    made[1].fire('GROUP_JOIN', { memberId: 'm2', memberAssignment: { t: [0] } });
    expect(session.view()).toMatchObject({ id: 'sup00001', state: 'running', memberId: 'm2' });
    expect(published.map((e) => e.type).filter((t) => t.startsWith('consumer.'))).toEqual(['consumer.started', 'consumer.crashed', 'consumer.recovered']);
  });

  it('a member silent past the threshold is replaced; a kill stops any further replacing', async () => {
    const { made, session } = replaceable();
    await session.start('instructor');
    made[0].fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0] } });
    expect(session.checkStalled(Date.now() + 15_000, 15_000)).toBe(false);
    expect(session.checkStalled(Date.now() + 15_001, 15_000)).toBe(true);
    expect(session.view().state).toBe('crashed');
    await pass(0);
    expect(made).toHaveLength(2);
    made[1].fire('CRASH', { error: new Error('boom'), restart: false });
    session.kill('instructor');
    await pass(60_000);
    expect(made).toHaveLength(2);
    expect(session.view().state).toBe('killed');
  });
});
