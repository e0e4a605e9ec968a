import type { Socket } from 'socket.io-client';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { connect } from '../support/socket';

/**
 * Subscriptions that never miss, on the shared server and cluster: a consumer's story from its
 * creation, a cursor in the middle of a stream, and a socket dropped and reconnected while messages flow.
 */

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { LiveLink } = require('../../clients/lib/lab-client.js');

interface Ack { ok: boolean; error?: string; seq?: number; messageSeq?: number; missedMessages?: number }
interface Ev { seq: number; type: string; consumerId?: string; topic?: string; assigned?: Array<{ topic: string; partitions: number[] }> }
interface Msg { seq: number; consumerId: string; value: string | null }

function subscribe(s: Socket, body: Record<string, unknown>): Promise<Ack> {
  return s.timeout(10_000).emitWithAck('subscribe', body);
}

async function createTopic(partitions: number): Promise<{ name: string; seq: number }> {
  const name = uniqueName('live');
  const r = await api().post('/api/topics').send({ name, partitions, replicationFactor: 3 }).expect(201);
  expect(r.body.seq).toEqual(expect.any(Number));
  return { name, seq: r.body.seq };
}

async function startConsumer(body: Record<string, unknown>): Promise<{ id: string; seq: number }> {
  const r = await api().post('/api/consumers').send(body).expect(201);
  expect(r.body.seq).toBeGreaterThan(0);
  return r.body;
}

/** Every stored event after `after` that `keep` accepts. */
async function storedEvents(after: number, keep: (e: Ev) => boolean): Promise<Ev[]> {
  const out: Ev[] = [];
  for (;;) {
    const r = await api().get(`/api/events?after=${after}&limit=5000`).expect(200);
    out.push(...(r.body.events as Ev[]).filter(keep));
    if (r.body.events.length === 0) return out;
    after = r.body.next;
  }
}

describe('live subscriptions never miss', () => {
  const sockets: Socket[] = [];
  const consumers: string[] = [];
  const open = async () => {
    const s = await connect();
    sockets.push(s);
    return s;
  };

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all(consumers.map((id) => api().delete(`/api/consumers/${id}`)));
  });

  it('a group member created before the subscription shows its start and its first rebalance', async () => {
    const topic = await createTopic(4);
    const groupId = uniqueName('live-g');
    const first = await startConsumer({ topics: [topic.name], groupId });
    consumers.push(first.id);
    // The last to join: its only rebalance (and the first member's) happened before anyone could subscribe.
    const last = await startConsumer({ topics: [topic.name], groupId });
    consumers.push(last.id);

    const s = await open();
    const events: Ev[] = [];
    const rebalances: Ev[] = [];
    s.on('event', (e: Ev) => events.push(e));
    s.on('rebalance', (e: Ev) => rebalances.push(e));
    const ack = await subscribe(s, { consumer: last.id });
    expect(ack).toMatchObject({ ok: true, messageSeq: 0 });
    expect(ack.seq).toBeGreaterThanOrEqual(last.seq);
    // The replay is queued before the ack, so it is all here now.
    expect(events[0]).toMatchObject({ seq: last.seq, type: 'consumer.started', consumerId: last.id });
    expect(rebalances.length).toBeGreaterThan(0);
    expect(rebalances.every((e) => e.consumerId === last.id && e.seq > last.seq)).toBe(true);
    expect(rebalances.flatMap((e) => e.assigned ?? []).flatMap((tp) => tp.partitions).length).toBeGreaterThan(0);
    // Exactly the member's stored story, in order.
    const stored = await storedEvents(last.seq - 1, (e) => e.consumerId === last.id && e.seq <= ack.seq!);
    expect([...events, ...rebalances].map((e) => e.seq).sort((a, b) => a - b)).toEqual(stored.map((e) => e.seq));
  });

  it('a cursor in the middle of a stream gets exactly the stored items after it, then live ones', async () => {
    const topic = await createTopic(3);
    const c = await startConsumer({ topics: [topic.name], fromBeginning: true });
    consumers.push(c.id);
    await api().post(`/api/topics/${topic.name}/messages`).send({ messages: Array.from({ length: 30 }, (_, i) => ({ value: `m${i}` })) }).expect(201);
    await waitFor('the consumer to receive 30', async () => (await api().get(`/api/consumers/${c.id}`)).body.received >= 30);
    const stored = await waitFor('the messages.produced event', async () => {
      const evs = await storedEvents(topic.seq - 1, (e) => e.topic === topic.name || e.consumerId === c.id);
      return evs.some((e) => e.type === 'messages.produced') && evs;
    });
    expect(stored.length).toBeGreaterThanOrEqual(4); // topic.created, consumer.started, its rebalance, messages.produced
    const mid = stored[1].seq;

    const s = await open();
    const events: Ev[] = [];
    const messages: Msg[] = [];
    s.on('event', (e: Ev) => events.push(e));
    s.on('message', (m: Msg) => messages.push(m));
    expect(await subscribe(s, { topic: topic.name, after: mid })).toMatchObject({ ok: true });
    // Its events are on the topic stream already (deduplicated); its messages from the 13th on.
    const ack = await subscribe(s, { consumer: c.id, after: { event: c.seq, message: 12 } });
    expect(ack).toMatchObject({ ok: true, messageSeq: 30 });
    expect(ack.missedMessages).toBeUndefined();
    const replayed = events.map((e) => e.seq);
    expect(replayed).toEqual(stored.filter((e) => e.seq > mid).map((e) => e.seq));
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 18 }, (_, i) => 13 + i));

    await api().post(`/api/topics/${topic.name}/messages`).send({ messages: [{ value: 'live-1' }, { value: 'live-2' }] }).expect(201);
    await waitFor('the live messages and their event', () => messages.length === 20 && events.some((e) => e.seq > ack.seq! && e.type === 'messages.produced'), 20_000, 50);
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 13 + i));
    const seqs = events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('a socket dropped and reconnected while ~500 messages/s flow resumes with every message once', async () => {
    const topic = await createTopic(3);
    const c = await startConsumer({ topics: [topic.name] });
    consumers.push(c.id);
    const got: number[] = [];
    const cursor = { event: c.seq, message: 0 };
    const follow = async () => {
      const s = await open();
      s.on('message', (m: Msg) => {
        got.push(m.seq);
        cursor.message = m.seq;
      });
      s.on('event', (e: Ev) => (cursor.event = Math.max(cursor.event, e.seq)));
      s.on('rebalance', (e: Ev) => (cursor.event = Math.max(cursor.event, e.seq)));
      const ack = await subscribe(s, { consumer: c.id, after: cursor });
      expect(ack).toMatchObject({ ok: true });
      expect(ack.missedMessages).toBeUndefined();
      return s;
    };

    let s = await follow();
    // The shared client (klab, the web page) on the same stream: its link resumes by itself.
    const link = await LiveLink.connect(sharedLab().url, sharedLab().token);
    const viaLink: number[] = [];
    link.on('message', (m: Msg) => viaLink.push(m.seq));
    await link.follow({ consumer: c.id });
    // ~500 messages/s over HTTP: 25 every 50 ms for 4 s, bounded.
    let produced = 0;
    const producing = (async () => {
      for (let round = 0; round < 80; round++) {
        const t0 = Date.now();
        await api().post(`/api/topics/${topic.name}/messages`).send({ messages: Array.from({ length: 25 }, (_, i) => ({ value: `r${round}-${i}` })) }).expect(201);
        produced += 25;
        await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - t0))));
      }
    })();
    // Drop the link twice mid-stream (the client closes, nothing is read meanwhile), then resume from the cursor.
    for (let drop = 0; drop < 2; drop++) {
      await waitFor('some messages before the drop', () => got.length > (drop + 1) * 300, 30_000, 20);
      s.close();
      // The link's transport dies under it (as on a network drop); socket.io reconnects, the link resubscribes.
      link.socket.io.engine.close();
      await new Promise((r) => setTimeout(r, 300));
      s = await follow();
    }
    await producing;
    expect(produced).toBe(2000);
    await waitFor('every produced message over the socket', () => got.length >= 2000, 60_000, 50);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
    expect(got.length).toBe((await api().get(`/api/consumers/${c.id}`)).body.received);
    await waitFor('every message through the shared client', () => viaLink.length >= got.length, 30_000, 50);
    link.close();
    expect(viaLink).toEqual(got);
  });
});
