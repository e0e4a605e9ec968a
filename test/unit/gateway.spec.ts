import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { io, Socket as ClientSocket } from 'socket.io-client';
import request from 'supertest';
import { configureApp } from '../../src/app.factory';
import { AuthService } from '../../src/class/auth.service';
import { ClassModule } from '../../src/class/class.module';
import { ClassSettingsService } from '../../src/class/class-settings.service';
import type { Principal } from '../../src/class/principal';
import type { ClusterView } from '../../src/cluster/cluster.types';
import { HttpExceptionFilter } from '../../src/common/http-exception.filter';
import { ConfigModule } from '../../src/config/config.module';
import { LabConfig, loadConfig } from '../../src/config/lab-config';
import { CONSUMER_DIRECTORY, ConsumerDirectory } from '../../src/live/consumer-directory';
import { LabGateway } from '../../src/live/live.gateway';
import { LiveModule } from '../../src/live/live.module';
import { GATEWAY_LIMITS, GatewayLimits } from '../../src/live/socket-queue';
import { LabMessage, LiveBus } from '../../src/timeline/live-bus';
import { TimelineModule } from '../../src/timeline/timeline.module';
import { TimelineService } from '../../src/timeline/timeline.service';
import type { LabEvent } from '../../src/timeline/timeline.types';
import { waitFor } from '../support/lab';

const TOKEN = 'test-instructor-token-1234';
const ALICE_TOKEN = 'alice-student-token-5678';
const alice: Principal = { id: 's-alice', name: 'Alice', role: 'student' };
/** A good ack: ok, and the timeline position the subscription is at. */
const OK = expect.objectContaining({ ok: true, seq: expect.any(Number) });

/** Who owns which consumer, as the consumers module would tell the gateway. */
const owners = new Map<string, string>([
  ['c1', 'instructor'],
  ['c2', 'instructor'],
  ['c-alice', 's-alice'],
  ['c-bob', 's-bob'],
]);
/** These consumers keep no messages, and their story starts now (each lookup is "just created"). */
let timelineOf: () => TimelineService;
const directory: ConsumerDirectory = {
  feed: (id) => {
    const owner = owners.get(id);
    if (owner === undefined) return undefined;
    return { owner, storyAfter: timelineOf().lastSeq, lastMessageSeq: 0, messages: (after: number) => ({ messages: [], next: after }) };
  },
};

/** Small bounds so the slow-client test needs megabytes, not hundreds of them. */
const limits: Partial<GatewayLimits> = { queueMax: 2000, overflowGraceMs: 3000 };

@Module({
  providers: [
    { provide: CONSUMER_DIRECTORY, useValue: directory },
    { provide: GATEWAY_LIMITS, useValue: limits },
  ],
  exports: [CONSUMER_DIRECTORY, GATEWAY_LIMITS],
})
class FakeConsumersModule {}

@Module({})
class GatewayTestModule {
  static forRoot(config: LabConfig): DynamicModule {
    return {
      module: GatewayTestModule,
      imports: [ConfigModule.forRoot(config), ClassModule, TimelineModule, LiveModule.register(FakeConsumersModule)],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}

interface Booted {
  app: INestApplication;
  port: number;
  bus: LiveBus;
  timeline: TimelineService;
  gateway: LabGateway;
}

async function boot(dataDir: string): Promise<Booted> {
  const config = loadConfig({ LAB_DATA_DIR: dataDir, LAB_INSTRUCTOR_TOKEN: TOKEN, LAB_AUTOSTART: 'false' });
  const app = await NestFactory.create(GatewayTestModule.forRoot(config), { bodyParser: false, logger: ['error'] });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const auth = app.get(AuthService);
  const verify = auth.verify.bind(auth);
  // Students arrive in a later issue; until then one fake student token stands in for them.
  jest.spyOn(auth, 'verify').mockImplementation((t) => (t === ALICE_TOKEN ? alice : verify(t)));
  const timeline = app.get(TimelineService);
  timelineOf = () => timeline;
  return { app, port, bus: app.get(LiveBus), timeline, gateway: app.get(LabGateway) };
}

describe('timeline over HTTP and the /lab socket.io gateway', () => {
  let dataDir: string;
  let lab: Booted;
  const sockets: ClientSocket[] = [];

  /** A socket with this token; null: none at all. */
  function connect(token: string | null = TOKEN): ClientSocket {
    const s = io(`http://127.0.0.1:${lab.port}/lab`, {
      auth: token === null ? {} : { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(s);
    return s;
  }

  async function connected(s: ClientSocket): Promise<ClientSocket> {
    if (!s.connected) await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('connect_error', reject); });
    return s;
  }

  function ack(s: ClientSocket, ev: 'subscribe' | 'unsubscribe', body: unknown): Promise<{ ok: boolean; error?: string; seq?: number; messageSeq?: number; missedMessages?: number }> {
    return s.timeout(5000).emitWithAck(ev, body);
  }

  function collect<T>(s: ClientSocket, ev: string): T[] {
    const got: T[] = [];
    s.on(ev, (x: T) => got.push(x));
    return got;
  }

  function http() {
    return request(lab.app.getHttpServer() as Server);
  }

  let msgSeq = 0;
  function messages(consumerId: string, n: number, valueSize = 10): LabMessage[] {
    const value = 'v'.repeat(valueSize);
    return Array.from({ length: n }, () => {
      msgSeq += 1;
      return {
        seq: msgSeq, consumerId, topic: 'orders', partition: 0, offset: String(msgSeq),
        key: null, value, headers: {}, timestamp: new Date().toISOString(),
      };
    });
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-gateway-'));
    lab = await boot(dataDir);
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });

  afterAll(async () => {
    await lab?.app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a bad or missing token with an error event, then disconnects', async () => {
    for (const token of ['not-a-known-token', null]) {
      const s = connect(token);
      const error = new Promise<{ message: string }>((resolve) => s.once('error' as never, resolve));
      const gone = new Promise<string>((resolve) => s.once('disconnect', resolve));
      const [e, reason] = await Promise.all([error, gone]);
      expect(e.message).toMatch(token ? /token is not known/ : /needs a token/);
      expect(reason).toBe('io server disconnect');
    }
  });

  it('refuses a student a socket over the sockets quota like a bad token, and takes one again once a socket closed', async () => {
    const settings = lab.app.get(ClassSettingsService);
    const real = settings.get();
    const get = jest.spyOn(settings, 'get').mockReturnValue({ ...real, quotas: { ...real.quotas, sockets: 2 } });
    try {
      const [a1] = await Promise.all([connected(connect(ALICE_TOKEN)), connected(connect(ALICE_TOKEN))]);
      await waitFor('both of Alice\'s sockets signed in', () => lab.gateway.connectedClients >= 2);
      const third = connect(ALICE_TOKEN);
      const error = new Promise<{ message: string }>((resolve) => third.once('error' as never, resolve));
      const gone = new Promise<string>((resolve) => third.once('disconnect', resolve));
      const [e, reason] = await Promise.all([error, gone]);
      expect(e.message).toBe('You have 2 sockets open, the most a student may have in this class (quota sockets = 2); close one first.');
      expect(reason).toBe('io server disconnect');
      // The instructor has no quota.
      await connected(connect(TOKEN));
      const before = lab.gateway.connectedClients;
      a1.disconnect();
      await waitFor('Alice\'s first socket gone', () => lab.gateway.connectedClients === before - 1);
      const again = await connected(connect(ALICE_TOKEN));
      expect(await ack(again, 'subscribe', { events: true })).toEqual(OK);
    } finally {
      get.mockRestore();
    }
  });

  it('acks good subscriptions and explains bad ones in a sentence', async () => {
    const s = await connected(connect());
    expect(await ack(s, 'subscribe', { events: true })).toEqual(OK);
    expect(await ack(s, 'subscribe', { cluster: true })).toEqual(OK);
    expect(await ack(s, 'subscribe', { topic: 'orders' })).toEqual(OK);
    expect(await ack(s, 'subscribe', { group: 'g1' })).toEqual(OK);
    expect(await ack(s, 'subscribe', { consumer: 'c1' })).toEqual(OK);
    expect(await ack(s, 'unsubscribe', { topic: 'orders' })).toEqual(OK);
    expect(await ack(s, 'subscribe', { consumer: 'nope' })).toEqual({ ok: false, error: 'There is no consumer nope.' });

    for (const bad of [undefined, 'orders', [], { foo: 1 }, { topic: 'a', group: 'b' }, { topic: '' }, { topic: 7 }, { cluster: 'yes' }]) {
      const res = await ack(s, 'subscribe', bad);
      expect(res.ok).toBe(false);
      expect(res.error).toMatch(/^[A-Za-z].*\.$/);
    }
    // A student may not watch another student's consumer, and is not told it exists.
    const a = await connected(connect(ALICE_TOKEN));
    expect(await ack(a, 'subscribe', { consumer: 'c-bob' })).toEqual({ ok: false, error: 'There is no consumer c-bob.' });
    expect(await ack(a, 'subscribe', { consumer: 'c-alice' })).toEqual(OK);
  });

  it('pushes timeline events to events, topic, group and cluster subscribers', async () => {
    const all = await connected(connect());
    const topic = await connected(connect());
    const group = await connected(connect());
    const cluster = await connected(connect());
    const both = await connected(connect());
    expect(await ack(all, 'subscribe', { events: true })).toEqual(OK);
    expect(await ack(topic, 'subscribe', { topic: 'payments' })).toEqual(OK);
    expect(await ack(group, 'subscribe', { group: 'billing' })).toEqual(OK);
    expect(await ack(cluster, 'subscribe', { cluster: true })).toEqual(OK);
    expect(await ack(both, 'subscribe', { events: true })).toEqual(OK);
    expect(await ack(both, 'subscribe', { topic: 'payments' })).toEqual(OK);
    const got = { all: collect<LabEvent>(all, 'event'), topic: collect<LabEvent>(topic, 'event'), group: collect<LabEvent>(group, 'event'), cluster: collect<LabEvent>(cluster, 'event'), both: collect<LabEvent>(both, 'event') };
    const views = collect<ClusterView>(cluster, 'cluster');

    const created = lab.timeline.publish({ type: 'topic.created', actor: 'instructor', topic: 'payments', partitions: 3, replicationFactor: 3 }, { topic: 'payments' });
    const other = lab.timeline.publish({ type: 'topic.created', actor: 'instructor', topic: 'elsewhere', partitions: 1, replicationFactor: 1 }, { topic: 'elsewhere' });
    const started = lab.timeline.publish({ type: 'consumer.started', actor: 'instructor', consumerId: 'c2', groupId: 'billing' }, { consumerId: 'c2', groupId: 'billing' });
    const node = lab.timeline.publish({ type: 'node.killed', actor: 'instructor', nodeId: 1, role: 'broker' });
    const view: ClusterView = { state: 'degraded', driver: 'process', kafkaVersion: '3.9.2', clusterId: 'x', controllers: [], brokers: [], bootstrapServers: '127.0.0.1:1' };
    lab.bus.emit('cluster', view);

    await waitFor('every subscriber to get its events', () => got.all.length === 4 && got.topic.length === 1 && got.group.length === 1 && got.cluster.length === 1 && views.length === 1 && got.both.length === 4, 10_000, 20);
    expect(got.all).toEqual([created, other, started, node]);
    expect(got.topic).toEqual([created]);
    expect(got.group).toEqual([started]);
    expect(got.cluster).toEqual([node]);
    expect(views).toEqual([view]);
    // Two subscriptions that both match an event send it once.
    expect(got.both).toEqual([created, other, started, node]);
  });

  it('sends group.rebalanced as rebalance to that consumer\'s and that group\'s subscribers', async () => {
    const byGroup = await connected(connect());
    const byConsumer = await connected(connect());
    const unrelated = await connected(connect());
    expect(await ack(byGroup, 'subscribe', { group: 'g-rb' })).toEqual(OK);
    expect(await ack(byConsumer, 'subscribe', { consumer: 'c1' })).toEqual(OK);
    expect(await ack(unrelated, 'subscribe', { group: 'g-other' })).toEqual(OK);
    const rb = { group: collect<LabEvent>(byGroup, 'rebalance'), consumer: collect<LabEvent>(byConsumer, 'rebalance'), unrelated: collect<LabEvent>(unrelated, 'rebalance') };
    const groupEvents = collect<LabEvent>(byGroup, 'event');

    const ev = lab.timeline.publish(
      { type: 'group.rebalanced', actor: 'kafka', groupId: 'g-rb', consumerId: 'c1', memberId: 'm-1', generation: 2, assigned: [{ topic: 'orders', partitions: [0, 1] }], revoked: [] },
      { groupId: 'g-rb', consumerId: 'c1' },
    );
    // Another group's rebalance, after it: once it has arrived at the unrelated socket, the first one had its chance.
    const marker = lab.timeline.publish({ type: 'group.rebalanced', actor: 'kafka', groupId: 'g-other', consumerId: 'c9', memberId: 'm-9', generation: 1, assigned: [], revoked: [] }, { groupId: 'g-other' });
    await waitFor('the rebalance at both subscribers', () => rb.group.length === 1 && rb.consumer.length === 1 && rb.unrelated.length === 1, 10_000, 20);
    expect(rb.group).toEqual([ev]);
    expect(rb.consumer).toEqual([ev]);
    expect(rb.unrelated).toEqual([marker]);
    expect(groupEvents).toEqual([ev]);
  });

  it('replays the stored events after a cursor before the ack, then goes on live over the socket', async () => {
    const since = lab.timeline.lastSeq;
    const stored = [
      lab.timeline.publish({ type: 'node.paused', actor: 'instructor', nodeId: 2, role: 'broker' }),
      lab.timeline.publish({ type: 'node.resumed', actor: 'instructor', nodeId: 2, role: 'broker' }),
    ];
    const s = await connected(connect());
    const got: Array<LabEvent | { ack: unknown }> = [];
    s.on('event', (e: LabEvent) => got.push(e));
    const res = await ack(s, 'subscribe', { cluster: true, after: since });
    got.push({ ack: res });
    expect(res).toEqual({ ok: true, seq: stored[1].seq });
    const live = lab.timeline.publish({ type: 'node.stopped', actor: 'instructor', nodeId: 2, role: 'broker' });
    await waitFor('the live event', () => got.length === 4, 10_000, 20);
    expect(got).toEqual([stored[0], stored[1], { ack: res }, live]);
    // A cursor of the wrong shape is explained, not guessed at.
    const bad = await ack(s, 'subscribe', { topic: 'orders', after: { message: 3 } });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/^Only a consumer subscription has messages/);
  });

  it('delivers a consumer\'s messages in order, and nothing after unsubscribe', async () => {
    const s = await connected(connect());
    expect(await ack(s, 'subscribe', { consumer: 'c1' })).toEqual(OK);
    expect(await ack(s, 'subscribe', { events: true })).toEqual(OK);
    const got = collect<LabMessage>(s, 'message');
    const sent: LabMessage[] = [];
    for (let i = 0; i < 20; i++) {
      const batch = messages('c1', 50);
      sent.push(...batch);
      lab.bus.emit('messages', 'c1', 'instructor', batch);
      lab.bus.emit('messages', 'c2', 'instructor', messages('c2', 5)); // not subscribed
    }
    await waitFor('1000 messages', () => got.length >= 1000, 10_000, 20);
    expect(got).toEqual(sent);

    expect(await ack(s, 'unsubscribe', { consumer: 'c1' })).toEqual(OK);
    const events = collect<LabEvent>(s, 'event');
    lab.bus.emit('messages', 'c1', 'instructor', messages('c1', 100));
    // Everything to one socket keeps its order: once this event is in, any message would have been too.
    const marker = lab.timeline.publish({ type: 'cluster.started', actor: 'instructor' });
    await waitFor('the marker event', () => events.some((e) => e.seq === marker.seq), 10_000, 20);
    expect(got).toHaveLength(1000);
  });

  it('shows a student only events with no owner or their own, on the socket and over HTTP', async () => {
    const a = await connected(connect(ALICE_TOKEN));
    expect(await ack(a, 'subscribe', { events: true })).toEqual(OK);
    const got = collect<LabEvent>(a, 'event');
    const since = lab.timeline.lastSeq;
    const mine = lab.timeline.publish({ type: 'consumer.started', actor: 's-alice', consumerId: 'c-alice', groupId: 'ga' }, { owner: 's-alice', consumerId: 'c-alice' });
    lab.timeline.publish({ type: 'consumer.started', actor: 's-bob', consumerId: 'c-bob', groupId: 'gb' }, { owner: 's-bob', consumerId: 'c-bob' });
    const shared = lab.timeline.publish({ type: 'node.started', actor: 'system', nodeId: 2, role: 'broker' });
    await waitFor('the shared event', () => got.some((e) => e.seq === shared.seq), 10_000, 20);
    expect(got).toEqual([mine, shared]);

    const res = await http().get(`/api/events?after=${since}`).set('Authorization', `Bearer ${ALICE_TOKEN}`).expect(200);
    expect(res.body).toEqual({ events: [mine, shared], next: shared.seq });
  });

  it('drops a client that stops reading with overflow, while a healthy client gets everything', async () => {
    const healthy = await connected(connect());
    const stalled = await connected(connect());
    expect(await ack(healthy, 'subscribe', { consumer: 'c1' })).toEqual(OK);
    expect(await ack(stalled, 'subscribe', { consumer: 'c1' })).toEqual(OK);
    const good = collect<LabMessage>(healthy, 'message');
    const slow = collect<LabMessage>(stalled, 'message');
    const overflow = new Promise<{ dropped: number; message: string }>((resolve) => stalled.once('overflow', resolve));
    const stalledGone = new Promise<string>((resolve) => stalled.once('disconnect', resolve));
    const before = lab.gateway.connectedClients;

    // The stalled client's TCP socket stops reading: kernel buffers fill, then the gateway's queue.
    const raw = (stalled.io.engine.transport as unknown as { ws: { _socket: import('node:net').Socket } }).ws._socket;
    raw.pause();

    const sent: LabMessage[] = [];
    const send = async (n: number) => {
      for (let i = 0; i < n; i += 100) {
        const batch = messages('c1', 100, 4096);
        sent.push(...batch);
        lab.bus.emit('messages', 'c1', 'instructor', batch);
        // Pace like a consumer fetching: never more than ~1000 ahead of the healthy reader.
        await waitFor('the healthy client to keep up', () => good.length >= sent.length - 1000, 20_000, 1);
      }
    };
    for (let round = 0; round < 60 && lab.gateway.connectedClients === before; round++) await send(1000);
    expect(lab.gateway.connectedClients).toBe(before - 1);
    await send(500);
    await waitFor('the healthy client to get everything', () => good.length === sent.length, 20_000, 10);
    expect(good.map((m) => m.seq)).toEqual(sent.map((m) => m.seq));
    expect(healthy.connected).toBe(true);

    // When the stalled client reads again it finds an in-order prefix, then the overflow notice, then the end.
    raw.resume();
    const note = await overflow;
    expect(note.dropped).toBeGreaterThan(0);
    expect(note.message).toMatch(/too slow.*dropped.*reconnect/i);
    expect(await stalledGone).toBe('io server disconnect');
    expect(slow.length).toBeGreaterThan(0);
    expect(slow.length).toBeLessThan(sent.length);
    expect(slow.map((m) => m.seq)).toEqual(sent.slice(0, slow.length).map((m) => m.seq));
    process.stdout.write(`gateway: ${sent.length} messages of 4 KiB; the stalled client read ${slow.length}, ${note.dropped} dropped\n`);
  });

  it('cuts the connection of a client that never reads again after the grace period', async () => {
    const server = lab.app.getHttpServer() as Server;
    const connections = () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    // Sockets of earlier tests close in the background; start from none.
    await waitFor('earlier connections to close', async () => (await connections()) === 0, 10_000, 50);
    const base = 0;
    const pacer = await connected(connect());
    const stalled = await connected(connect());
    expect(await ack(pacer, 'subscribe', { consumer: 'c2' })).toEqual(OK);
    expect(await ack(stalled, 'subscribe', { consumer: 'c2' })).toEqual(OK);
    expect(await connections()).toBe(base + 2);
    const paced = collect<LabMessage>(pacer, 'message');
    (stalled.io.engine.transport as unknown as { ws: { _socket: import('node:net').Socket } }).ws._socket.pause();
    const before = lab.gateway.connectedClients;
    let sent = 0;
    for (let round = 0; round < 600 && lab.gateway.connectedClients === before; round++) {
      lab.bus.emit('messages', 'c2', 'instructor', messages('c2', 100, 4096));
      sent += 100;
      await waitFor('the pacing client to get the batch', () => paced.length === sent, 20_000, 1);
    }
    expect(lab.gateway.connectedClients).toBe(before - 1);
    // The stalled one is gone well within the grace period plus a margin; the pacer stays.
    await waitFor('the server to close the stalled connection', async () => (await connections()) === base + 1, 15_000, 100);
    expect(pacer.connected).toBe(true);
  });

  it('serves GET /api/events with after, types and limit, and 400 on an unknown type', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const since = lab.timeline.lastSeq;
    const published = [
      lab.timeline.publish({ type: 'node.stopped', actor: 'instructor', nodeId: 0, role: 'broker' }),
      lab.timeline.publish({ type: 'node.started', actor: 'instructor', nodeId: 0, role: 'broker' }),
      lab.timeline.publish({ type: 'partition.leader-changed', actor: 'kafka', topic: 'orders', partition: 0, from: 0, to: 1 }),
      lab.timeline.publish({ type: 'node.stopped', actor: 'instructor', nodeId: 1, role: 'broker' }),
    ];
    const all = await http().get(`/api/events?after=${since}`).set(auth).expect(200);
    expect(all.body).toEqual({ events: published, next: published[3].seq });

    const typed = await http().get(`/api/events?after=${since}&types=node.stopped,partition.leader-changed`).set(auth).expect(200);
    expect(typed.body.events.map((e: LabEvent) => e.seq)).toEqual([published[0].seq, published[2].seq, published[3].seq]);

    const limited = await http().get(`/api/events?after=${since}&limit=2`).set(auth).expect(200);
    expect(limited.body).toEqual({ events: published.slice(0, 2), next: published[1].seq });
    const rest = await http().get(`/api/events?after=${limited.body.next}&limit=2`).set(auth).expect(200);
    expect(rest.body.events).toEqual(published.slice(2));

    const none = await http().get(`/api/events?after=${published[3].seq}`).set(auth).expect(200);
    expect(none.body).toEqual({ events: [], next: published[3].seq });

    const unknown = await http().get('/api/events?types=node.stopped,node.exploded').set(auth).expect(400);
    expect(unknown.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(unknown.body.message).toMatch(/"node\.exploded", which is not an event type/);
    expect(unknown.body.message).not.toMatch(/"node\.stopped"/);

    for (const q of ['after=-1', 'after=abc', 'after=1.5', 'limit=0', 'limit=5001', 'limit=x', 'color=red']) {
      const bad = await http().get(`/api/events?${q}`).set(auth).expect(400);
      expect(bad.body.message).toMatch(/^(after|limit|color) /);
    }
    await http().get('/api/events').expect(401);
  });

  it('keeps every event over a restart on the same data dir, and seq keeps growing', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const last = lab.timeline.publish({ type: 'cluster.stopped', actor: 'instructor' });
    const before = await http().get('/api/events?limit=5000').set(auth).expect(200);
    expect(before.body.next).toBe(last.seq);
    for (const s of sockets.splice(0)) s.disconnect();
    await lab.app.close();

    lab = await boot(dataDir);
    const after = await http().get('/api/events?limit=5000').set(auth).expect(200);
    expect(after.body).toEqual(before.body);
    const next = lab.timeline.publish({ type: 'cluster.started', actor: 'instructor' });
    expect(next.seq).toBe(last.seq + 1);

    // The gateway works after the restart too.
    const s = await connected(connect());
    expect(await ack(s, 'subscribe', { cluster: true })).toEqual(OK);
    const got = collect<LabEvent>(s, 'event');
    const ev = lab.timeline.publish({ type: 'node.resumed', actor: 'instructor', nodeId: 0, role: 'broker' });
    await waitFor('the event after restart', () => got.length === 1, 10_000, 20);
    expect(got).toEqual([ev]);
  });
});
