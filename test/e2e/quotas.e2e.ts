import type { Socket } from 'socket.io-client';
import { io } from 'socket.io-client';
import { addStudent } from '../support/class';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

/**
 * The class quotas on the shared server and cluster: each count quota answers 409 and the produce
 * rate 429 with Retry-After, each with the sentence naming the quota; a PATCH /api/class applies to
 * the very next request; the instructor is bound by none. The settings changed here are put back.
 */

type Quotas = Record<'topics' | 'partitionsPerTopic' | 'partitions' | 'consumers' | 'producePerSecond' | 'messagesPerRequest' | 'sockets', number>;

async function setQuotas(q: Partial<Quotas>): Promise<void> {
  const r = await api().patch('/api/class').send({ quotas: q });
  expect([r.status, r.body.quotas]).toEqual([200, expect.objectContaining(q)]);
}

function expectRefusal(r: { status: number; body: any }, status: number, message: string): void {
  expect([r.status, r.body.message]).toEqual([status, message]);
  expect(r.body.retriable).toBe(status === 429);
}

/** A socket that ends connected, or refused with the server's `error` sentence then disconnected. */
function openSocket(token: string, sockets: Socket[]): Promise<{ connected: true } | { refused: string; reason: string }> {
  const s = io(`${sharedLab().url}/lab`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(s);
  return new Promise((resolve, reject) => {
    let refused: string | null = null;
    s.on('error' as never, (e: { message: string }) => (refused = e.message));
    s.once('disconnect', (reason) => resolve({ refused: refused ?? '(no error event)', reason }));
    s.once('connect_error', reject);
    // Connected and still connected a moment later: the server said nothing against it.
    s.once('connect', () => setTimeout(() => s.connected && resolve({ connected: true }), 500));
  });
}

describe('class quotas (409 over a count, 429 over the produce rate, each naming the quota)', () => {
  let saved: Quotas;
  const topics: Array<{ token: string | undefined; name: string }> = [];
  const consumers: Array<{ token: string | undefined; id: string }> = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    saved = (await api().get('/api/class').expect(200)).body.quotas;
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all(consumers.map((c) => api(c.token).delete(`/api/consumers/${c.id}`)));
    await Promise.all(topics.map((t) => api(t.token).delete(`/api/topics/${t.name}`)));
    if (saved) await api().patch('/api/class').send({ quotas: saved }).expect(200);
  });

  /** `token` undefined: the instructor. */
  async function createTopic(token: string | undefined, name: string, partitions: number) {
    const r = await api(token).post('/api/topics').send({ name, partitions, replicationFactor: 1 });
    if (r.status === 201) topics.push({ token, name });
    return r;
  }

  it('topics, partitionsPerTopic and partitions on topic create; a raised quota applies at once; the instructor is unbound', async () => {
    const ada = await addStudent('Quota Ada');
    await setQuotas({ topics: 2, partitionsPerTopic: 3, partitions: 5 });
    expect((await createTopic(ada.token, 'a', 3)).status).toBe(201);
    expectRefusal(await createTopic(ada.token, 'too-wide', 4), 409,
      'A topic of a student may have at most 3 partitions in this class (quota partitionsPerTopic = 3); this one asks for 4.');
    expectRefusal(await createTopic(ada.token, 'b', 3), 409,
      'Your topics have 3 partitions; 3 more would pass the 5 a student may have in this class (quota partitions = 5); delete a topic or ask for fewer partitions.');
    expect((await createTopic(ada.token, 'b', 2)).status).toBe(201);
    expectRefusal(await createTopic(ada.token, 'c', 1), 409,
      'You have 2 topics, the most a student may have in this class (quota topics = 2); delete one first.');
    // Another student's topics are theirs to count.
    const bob = await addStudent('Quota Bob');
    expect((await createTopic(bob.token, 'a', 1)).status).toBe(201);

    const wide = uniqueName('quota-instructor');
    expect((await createTopic(undefined, wide, 6)).status).toBe(201);

    await setQuotas({ topics: 3, partitions: 6 });
    expect((await createTopic(ada.token, 'c', 1)).status).toBe(201);
    // Deleting one frees its place.
    await api(ada.token).delete('/api/topics/c').expect(204);
    topics.splice(topics.findIndex((t) => t.token === ada.token && t.name === 'c'), 1);
    expect((await createTopic(ada.token, 'd', 1)).status).toBe(201);
    // Room for one more, three sent at once: a student's creates run one after another, so one passes.
    await setQuotas({ topics: 4, partitions: 100 });
    const racing = await Promise.all(['e', 'f', 'g'].map((t) => createTopic(ada.token, t, 1)));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    for (const r of racing.filter((x) => x.status === 409)) expect(r.body.message).toBe('You have 4 topics, the most a student may have in this class (quota topics = 4); delete one first.');
  });

  it('consumers (joining or running) on consumer create; a stopped one frees its place', async () => {
    const cy = await addStudent('Quota Cy');
    expect((await createTopic(cy.token, 'in', 1)).status).toBe(201);
    await setQuotas({ consumers: 2 });
    const start = async (token: string | undefined, topic: string) => {
      const r = await api(token).post('/api/consumers').send({ topic });
      if (r.status === 201) consumers.push({ token, id: r.body.id });
      return r;
    };
    const [one, two] = await Promise.all([start(cy.token, 'in'), start(cy.token, 'in')]);
    expect([one.status, two.status]).toEqual([201, 201]);
    expectRefusal(await start(cy.token, 'in'), 409,
      'You have 2 consumers running, the most a student may have in this class (quota consumers = 2); stop or delete one first.');
    await api(cy.token).post(`/api/consumers/${one.body.id}/stop`).expect(200);
    expect((await start(cy.token, 'in')).status).toBe(201);

    // The instructor is unbound even at 0.
    await setQuotas({ consumers: 0 });
    expectRefusal(await start(cy.token, 'in'), 409, 'Students may have no consumers in this class (quota consumers = 0).');
    const shared = uniqueName('quota-shared');
    expect((await createTopic(undefined, shared, 1)).status).toBe(201);
    expect((await start(undefined, shared)).status).toBe(201);
  });

  it('messagesPerRequest (409, JSON and text alike, nothing written) and producePerSecond (429 with Retry-After, then through)', async () => {
    const di = await addStudent('Quota Di');
    expect((await createTopic(di.token, 'out', 1)).status).toBe(201);
    await setQuotas({ messagesPerRequest: 5, producePerSecond: 5 });
    const produce = (token: string | undefined, topic: string, n: number, text = false) => {
      const values = Array.from({ length: n }, (_, i) => `m${i}`);
      const req = api(token).post(`/api/topics/${topic}/messages`);
      return text ? req.set('Content-Type', 'text/plain').send(values.join('\n') + '\n') : req.send({ messages: values.map((value) => ({ value })) });
    };
    const tooMany = 'A request of a student may carry at most 5 messages in this class (quota messagesPerRequest = 5); this one has 6: send them in smaller requests.';
    expectRefusal(await produce(di.token, 'out', 6), 409, tooMany);
    expectRefusal(await produce(di.token, 'out', 6, true), 409, tooMany);
    const latest = async () => (await api(di.token).get('/api/topics/out').expect(200)).body.partitions[0].latestOffset;
    expect(await latest()).toBe('0');

    // A second's worth (5) at once; the next 5 need a whole second of refill, longer than a request takes.
    expect((await produce(di.token, 'out', 5)).status).toBe(201);
    const slow = await produce(di.token, 'out', 5, true);
    expect(slow.status).toBe(429);
    expect(slow.body.message).toBe('You are producing faster than the 5 messages per second a student may produce in this class (quota producePerSecond = 5); these 5 messages were not written: try again in 1 s.');
    expect(slow.body.retriable).toBe(true);
    expect(slow.headers['retry-after']).toBe('1');
    expect(await latest()).toBe('5');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await produce(di.token, 'out', 5, true)).status).toBe(201);
    expect((await produce(di.token, 'out', 5)).status).toBe(429);
    expect(await latest()).toBe('10');

    // Raised: the next request goes through at once.
    await setQuotas({ producePerSecond: 10_000, messagesPerRequest: 100 });
    expect((await produce(di.token, 'out', 50)).status).toBe(201);

    // The instructor: neither limit, even at 1.
    await setQuotas({ producePerSecond: 1, messagesPerRequest: 1 });
    const shared = uniqueName('quota-produce');
    expect((await createTopic(undefined, shared, 1)).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await produce(undefined, shared, 20)).status).toBe(201);
  });

  it('sockets on connect: one over the quota gets the error sentence and is disconnected; the instructor is unbound', async () => {
    const ed = await addStudent('Quota Ed');
    await setQuotas({ sockets: 1 });
    expect(await openSocket(ed.token, sockets)).toEqual({ connected: true });
    expect(await openSocket(ed.token, sockets)).toEqual({
      refused: 'You have 1 socket open, the most a student may have in this class (quota sockets = 1); close one first.',
      reason: 'io server disconnect',
    });
    for (let i = 0; i < 3; i++) expect(await openSocket(sharedLab().token, sockets)).toEqual({ connected: true });
    // Closing the first frees its place.
    sockets[0].close();
    await waitFor('a socket in place of the closed one', async () => {
      const r = await openSocket(ed.token, sockets);
      return 'connected' in r;
    }, 10_000, 200);
  });
});
