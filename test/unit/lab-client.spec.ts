import { EventEmitter } from 'node:events';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { LiveLink, SeqStream, LabApi, text } = require('../../clients/lib/lab-client.js');

/** A socket.io client stand-in: `emit` is what the client sends, `deliver` what the server sends it. */
class FakeSocket {
  private readonly bus = new EventEmitter();
  connected = true;
  active = true;
  refusal: string | undefined;
  readonly subscribes: Array<{ body: Record<string, unknown>; ack: (a: unknown) => void }> = [];
  /** Every unsubscribe sent, in order. */
  readonly unsubscribes: Array<Record<string, unknown>> = [];

  on(ev: string, fn: (...a: unknown[]) => void) { this.bus.on(ev, fn); return this; }
  once(ev: string, fn: (...a: unknown[]) => void) { this.bus.once(ev, fn); return this; }
  off(ev: string, fn: (...a: unknown[]) => void) { this.bus.off(ev, fn); return this; }
  emit(ev: string, body: Record<string, unknown>, ack?: (a: unknown) => void) {
    if (ev === 'subscribe' && ack) this.subscribes.push({ body, ack });
    if (ev === 'unsubscribe') this.unsubscribes.push(body);
    return this;
  }
  deliver(ev: string, data?: unknown) { this.bus.emit(ev, data); }
  drop() { this.connected = false; this.deliver('disconnect', 'transport close'); }
  reconnect() { this.connected = true; this.deliver('connect'); }
  connect() { /* socket.io's own reconnect; the test calls reconnect() */ }
  close() { this.connected = false; }
  /** Answers the oldest unanswered subscribe. */
  answer(ack: Record<string, unknown>) { this.subscribes.shift()!.ack(ack); }
}

const flushPromises = () => new Promise((r) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(r));

describe('lab-client LiveLink: resume from the last seqs, deliver once', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resubscribes a consumer from its last event and message after a reconnect, and drops what comes twice', async () => {
    const socket = new FakeSocket();
    const link = new LiveLink(socket);
    const got: string[] = [];
    link.on('message', (m: { seq: number }) => got.push(`m${m.seq}`));
    link.on('rebalance', (e: { seq: number }) => got.push(`r${e.seq}`));
    link.on('event', (e: { seq: number }) => got.push(`e${e.seq}`));

    const following = link.follow({ consumer: 'c1' });
    expect(socket.subscribes[0].body).toEqual({ consumer: 'c1' }); // no cursor: from its creation
    // The replay comes before the ack.
    socket.deliver('event', { seq: 3, type: 'consumer.started' });
    socket.deliver('rebalance', { seq: 4 });
    socket.deliver('message', { seq: 1, consumerId: 'c1' });
    socket.answer({ ok: true, seq: 10, messageSeq: 1 });
    expect(await following).toEqual({ ok: true, seq: 10, messageSeq: 1 });
    expect(link.cursorOf({ consumer: 'c1' })).toEqual({ event: 10, message: 1 });

    socket.deliver('message', { seq: 2, consumerId: 'c1' });
    socket.deliver('rebalance', { seq: 12 });
    socket.deliver('message', { seq: 3, consumerId: 'c1' });
    socket.drop();
    socket.reconnect();
    expect(socket.subscribes[0].body).toEqual({ consumer: 'c1', after: { event: 12, message: 3 } });
    // A resubscription racing the drop may bring items again: each is delivered once.
    socket.deliver('message', { seq: 3, consumerId: 'c1' });
    socket.deliver('message', { seq: 4, consumerId: 'c1' });
    socket.deliver('rebalance', { seq: 12 });
    socket.answer({ ok: true, seq: 13, messageSeq: 4 });
    await flushPromises();
    socket.deliver('message', { seq: 5, consumerId: 'c1' });
    expect(got).toEqual(['e3', 'r4', 'm1', 'm2', 'r12', 'm3', 'm4', 'm5']);
    expect(link.cursorOf({ consumer: 'c1' })).toEqual({ event: 13, message: 5 });
  });

  it('keeps a timeline cursor from the given one and the ack on, tells of missed messages, and forgets an unfollowed subscription', async () => {
    const socket = new FakeSocket();
    const link = new LiveLink(socket);
    const notices: string[] = [];
    link.on('notice', (t: string) => notices.push(t));
    const following = link.follow({ events: true, after: 40 });
    expect(socket.subscribes[0].body).toEqual({ events: true, after: 40 });
    socket.answer({ ok: true, seq: 42 });
    await following;
    socket.deliver('event', { seq: 43 });
    const c = link.follow({ consumer: 'c2', after: { message: 5 } });
    socket.answer({ ok: true, seq: 43, messageSeq: 90, missedMessages: 7 });
    await c;
    expect(notices.join('\n')).toMatch(/7 messages of consumer c2 .*no longer kept/);
    link.unfollow({ consumer: 'c2' });
    socket.drop();
    socket.reconnect();
    expect(socket.subscribes.map((s) => s.body)).toEqual([{ events: true, after: 43 }]);
  });

  it('resumes one follow after another, { events } first, so one socket event\'s items come in seq order', async () => {
    const socket = new FakeSocket();
    const link = new LiveLink(socket);
    const got: string[] = [];
    const notices: string[] = [];
    link.on('event', (e: { seq: number }) => got.push(`e${e.seq}`));
    link.on('rebalance', (e: { seq: number }) => got.push(`r${e.seq}`));
    link.on('notice', (t: string) => notices.push(t));
    const follows = [link.follow({ consumer: 'c1' }), link.follow({ cluster: true }), link.follow({ events: true, after: 5 })];
    socket.answer({ ok: true, seq: 10, messageSeq: 0 });
    socket.answer({ ok: true, seq: 10 });
    socket.answer({ ok: true, seq: 10 });
    await Promise.all(follows);
    socket.drop();
    socket.reconnect();
    // Only the broadest is asked first; the next waits for its ack.
    expect(socket.subscribes.map((s) => s.body)).toEqual([{ events: true, after: 10 }]);
    socket.deliver('event', { seq: 11 });
    socket.deliver('rebalance', { seq: 12 }); // live to no follow yet: the consumer's cursor stays
    socket.deliver('event', { seq: 13 });
    socket.answer({ ok: true, seq: 13 });
    await flushPromises();
    expect(socket.subscribes.map((s) => s.body)).toEqual([{ cluster: true, after: 10 }]);
    socket.answer({ ok: false, error: 'The cluster is thinking.' });
    await flushPromises();
    expect(socket.subscribes.map((s) => s.body)).toEqual([{ consumer: 'c1', after: { event: 10, message: 0 } }]);
    socket.answer({ ok: true, seq: 13, messageSeq: 0 });
    await flushPromises();
    expect(got).toEqual(['e11', 'r12', 'e13']);
    expect(notices.filter((t) => /^resubscribing/.test(t))).toEqual(['resubscribing {"cluster":true} failed: The cluster is thinking.']);
    expect(link.cursorOf({ events: true })).toBe(13);
  });

  it('tells the server to forget a subscription it did not answer in time', async () => {
    const socket = new FakeSocket();
    const link = new LiveLink(socket);
    const following = link.follow({ topic: 'orders', after: 3 });
    const failed = expect(following).rejects.toThrow(/did not answer the subscription to \{"topic":"orders","after":3\} within 10 s/);
    jest.advanceTimersByTime(10_000);
    await failed;
    expect(socket.unsubscribes).toEqual([{ topic: 'orders' }]);
    expect(link.cursorOf({ topic: 'orders' })).toBeUndefined();
  });

  it('SeqStream delivers an older item it has not seen, once, and nothing at or before its start', () => {
    const got: number[] = [];
    const stream = new SeqStream((x: { seq: number }) => got.push(x.seq), 10);
    for (const seq of [10, 13, 11, 13, 12, 11, 14]) stream.push({ seq });
    expect(got).toEqual([13, 11, 12, 14]);
    expect(stream.last).toBe(14);
  });

  it('gives up with the server\'s sentence when the server refused the token', async () => {
    const socket = new FakeSocket();
    const link = new LiveLink(socket);
    const fatal: Error[] = [];
    link.on('fatal', (e: Error) => fatal.push(e));
    socket.deliver('error', { message: 'The token is not known to this lab server.' });
    socket.drop();
    expect(fatal.map((e) => e.message)).toEqual(['The token is not known to this lab server.']);
    await expect(link.follow({ events: true })).rejects.toThrow('The token is not known to this lab server.');
  });
});

describe('lab-client: acknowledging share records', () => {
  const realFetch = global.fetch;
  afterEach(() => { global.fetch = realFetch; });

  it('posts { acks } to the consumer\'s acknowledge route and answers the results', async () => {
    const calls: Array<{ url: string; method: string; body: unknown; auth: string | undefined }> = [];
    global.fetch = (async (url: URL, init: { method: string; body: string; headers: Record<string, string> }) => {
      calls.push({ url: String(url), method: init.method, body: JSON.parse(init.body), auth: init.headers.authorization });
      const results = [{ topic: 'jobs', partition: 0, offsets: ['5'], type: 'release' }];
      return new Response(JSON.stringify({ results }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const api = new LabApi('http://127.0.0.1:1', 'tok');
    const res = await api.acknowledge('c/1', [{ topic: 'jobs', partition: 0, offset: '5', type: 'release' }]);
    expect(calls).toEqual([{ url: 'http://127.0.0.1:1/api/consumers/c%2F1/acknowledge', method: 'POST', body: { acks: [{ topic: 'jobs', partition: 0, offset: '5', type: 'release' }] }, auth: 'Bearer tok' }]);
    expect(res.results[0].offsets).toEqual(['5']);
  });

  it('throws the server sentence of a refusal (409: not a manual share consumer)', async () => {
    global.fetch = (async () => new Response(JSON.stringify({ statusCode: 409, error: 'Conflict', message: 'Consumer c1 is not a share consumer with manual acknowledgement.' }), {
      status: 409, headers: { 'content-type': 'application/json' },
    })) as unknown as typeof fetch;
    await expect(new LabApi('http://127.0.0.1:1', 'tok').acknowledge('c1', [])).rejects.toMatchObject({ status: 409, message: 'Consumer c1 is not a share consumer with manual acknowledgement.' });
  });

  it('folds offsets into runs and names every share event the way the CLI and the page print it', () => {
    expect(text.offsetsText(['9', '3', '4', '5', '5', 7])).toBe('@3..5,7,9');
    expect(text.rebalanceText({ groupId: 'g', memberId: null, memberEpoch: 9, assigned: [], revoked: [] })).toBe('Group g rebalanced (memberid ?, epoch 9): nothing moved');
    expect(text.rebalanceText({ groupId: 'g', memberId: 'm', generation: 4, assigned: [], revoked: [] })).toBe('Group g rebalanced (memberid m): assigned: nothing new, revoked: nothing');
    expect(text.ackKindOf({ type: 'share.acknowledged' })).toBeUndefined();
    expect(text.shareEventText({ type: 'share.acknowledged', topic: 'jobs', partition: 0, offsets: ['1'] })).toBe('jobs [0] @1 acknowledged');
  });
});
