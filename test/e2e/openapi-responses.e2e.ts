// Real answers of the shared lab server (and its real cluster) checked against the schemas openapi.yaml
// publishes: the contract describes what the server sends, not what we hoped it would send.
import type { Response } from 'supertest';
import { checkResponse, loadOpenApi } from '../support/openapi-doc';
import { api, uniqueName, waitFor } from '../support/lab';
import { addStudent } from '../support/class';

const doc = loadOpenApi();

/** The body as the file describes it: JSON parsed, text as the string it is. */
function bodyOf(res: Response): unknown {
  const ct = String(res.headers['content-type'] ?? '');
  return ct.startsWith('application/json') ? res.body : res.text;
}

/** The answer has the expected status, and fits the file's schema for that status and content type. */
function expectFits(method: string, pathTemplate: string, res: Response, status: number): void {
  if (res.status !== status) {
    throw new Error(`${method.toUpperCase()} ${pathTemplate}: expected ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
  }
  const problems = checkResponse(doc, method, pathTemplate, { status: res.status, body: bodyOf(res), headers: res.headers });
  expect(problems).toEqual([]);
}

describe('answers of the server fit openapi.yaml', () => {
  const topic = uniqueName('openapi');
  let created = false;
  let consumerId: string | undefined;

  afterAll(async () => {
    if (consumerId) await api().delete(`/api/consumers/${consumerId}`);
    if (created) await api().delete(`/api/topics/${topic}`);
  });

  it('GET /api/health (no token)', async () => {
    expectFits('get', '/api/health', await api(null).get('/api/health'), 200);
  });

  it('GET /api/cluster', async () => {
    const res = await api().get('/api/cluster');
    expectFits('get', '/api/cluster', res, 200);
    expect(res.body.brokers.length).toBeGreaterThanOrEqual(3);
  });

  it('GET /api/me, and 401 without a token', async () => {
    const me = await api().get('/api/me');
    expectFits('get', '/api/me', me, 200);
    expect(me.body.role).toBe('instructor');
    expectFits('get', '/api/me', await api(null).get('/api/me'), 401);
    expectFits('get', '/api/me', await api('not-a-known-token').get('/api/me'), 401);
  });

  it('POST /api/topics: 201 with the description, then 409 for the same name', async () => {
    const res = await api().post('/api/topics').send({ name: topic, partitions: 3, replicationFactor: 2, configs: { 'min.insync.replicas': '1' } });
    expectFits('post', '/api/topics', res, 201);
    created = true;
    expect(res.body.partitions).toHaveLength(3);
    expectFits('post', '/api/topics', await api().post('/api/topics').send({ name: topic, partitions: 1, replicationFactor: 1 }), 409);
  });

  it('POST /api/topics: 400 with details for a body that is not valid', async () => {
    const res = await api().post('/api/topics').send({ name: uniqueName('openapi-bad'), partitions: 0, replicationFactor: 1, colour: 'red' });
    expectFits('post', '/api/topics', res, 400);
    expect(res.body.details.length).toBeGreaterThanOrEqual(2);
  });

  it('GET /api/topics, with and without internal topics', async () => {
    const res = await api().get('/api/topics');
    expectFits('get', '/api/topics', res, 200);
    expect(res.body.map((t: { name: string }) => t.name)).toContain(topic);
    expectFits('get', '/api/topics', await api().get('/api/topics?internal=true'), 200);
  });

  it('GET /api/topics/{name} as JSON and as text, and 404 for a topic that does not exist', async () => {
    expectFits('get', '/api/topics/{name}', await api().get(`/api/topics/${topic}`), 200);
    const text = await api().get(`/api/topics/${topic}?format=text`);
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expectFits('get', '/api/topics/{name}', text, 200);
    expect(text.text).toContain(`Topic: ${topic}\t`);
    expectFits('get', '/api/topics/{name}', await api().get(`/api/topics/${uniqueName('openapi-missing')}`), 404);
    expectFits('get', '/api/topics/{name}', await api().get(`/api/topics/${topic}?format=yaml`), 400);
  });

  it('POST /api/topics/{name}/messages: a JSON batch with acks, one JSON message, text/plain lines', async () => {
    const p = '/api/topics/{name}/messages';
    const batch = await api().post(`/api/topics/${topic}/messages`).send({ messages: [{ key: 'k1', value: 'v1', headers: { h: 'x' } }, { value: 'v2', partition: 2 }], acks: 1 });
    expectFits('post', p, batch, 201);
    expect(batch.body.results).toHaveLength(2);
    expectFits('post', p, await api().post(`/api/topics/${topic}/messages`).send({ key: 'k', value: 'one' }), 201);
    const lines = await api().post(`/api/topics/${topic}/messages`).set('Content-Type', 'text/plain').send('a\nb\nc\n');
    expectFits('post', p, lines, 201);
    expect(lines.body.results).toHaveLength(3);
    expectFits('post', p, await api().post(`/api/topics/${topic}/messages`).send({ messages: [{ value: 'x', partition: 99 }] }), 400);
  });

  it('consumers and groups: create, list, read messages, describe the group, stop, delete', async () => {
    const groupId = uniqueName('openapi-group');
    const made = await api().post('/api/consumers').send({ topics: [topic], groupId, fromBeginning: true, name: 'openapi' });
    expectFits('post', '/api/consumers', made, 201);
    consumerId = made.body.id as string;
    expectFits('get', '/api/consumers', await api().get('/api/consumers'), 200);
    expectFits('get', '/api/consumers/{id}', await api().get(`/api/consumers/${consumerId}`), 200);
    // The messages produced above arrive (from the beginning).
    const got = await waitFor('the consumer to receive the messages produced earlier', async () => {
      const r = await api().get(`/api/consumers/${consumerId}/messages?after=0&limit=100`);
      return r.status === 200 && r.body.messages.length >= 6 ? r : undefined;
    }, 60_000, 250);
    expectFits('get', '/api/consumers/{id}/messages', got, 200);
    expectFits('get', '/api/consumers/{id}/messages', await api().get(`/api/consumers/${consumerId}/messages?limit=0`), 400);
    expectFits('get', '/api/groups', await api().get('/api/groups'), 200);
    expectFits('get', '/api/groups/{groupId}', await api().get(`/api/groups/${groupId}`), 200);
    expectFits('get', '/api/groups/{groupId}', await api().get(`/api/groups/${uniqueName('openapi-no-group')}`), 404);
    expectFits('post', '/api/consumers/{id}/stop', await api().post(`/api/consumers/${consumerId}/stop`), 200);
    expectFits('post', '/api/consumers/{id}/stop', await api().post(`/api/consumers/${consumerId}/stop`), 409);
    const gone = await api().delete(`/api/consumers/${consumerId}`);
    expect(gone.status).toBe(204);
    consumerId = undefined;
    expectFits('get', '/api/consumers/{id}', await api().get(`/api/consumers/${made.body.id}`), 404);
  });

  it('consumer-protocol and share consumers: create, acknowledge (200, 400, 409), kill, describe their groups', async () => {
    const newGroup = uniqueName('openapi-kip848');
    const d = await api().post('/api/consumers').send({ topics: [topic], groupId: newGroup, protocol: 'consumer', fromBeginning: true });
    expectFits('post', '/api/consumers', d, 201);
    const shareGroup = uniqueName('openapi-share');
    const s = await api().post('/api/consumers').send({ topics: [topic], groupId: shareGroup, protocol: 'share', ack: 'manual', fromBeginning: true });
    expectFits('post', '/api/consumers', s, 201);
    const ids = [d.body.id as string, s.body.id as string];
    try {
      const held = await waitFor('the share consumer to hold a record', async () => {
        const r = await api().get(`/api/consumers/${ids[1]}/messages`);
        return r.body.messages?.length > 0 ? r : undefined;
      }, 30_000, 200);
      expectFits('get', '/api/consumers/{id}/messages', held, 200);
      const m = held.body.messages[0];
      const ack = (id: string, offset: unknown) => api().post(`/api/consumers/${id}/acknowledge`).send({ acks: [{ topic, partition: m.partition, offset, type: 'accept' }] });
      expectFits('post', '/api/consumers/{id}/acknowledge', await ack(ids[1], m.offset), 200);
      expectFits('post', '/api/consumers/{id}/acknowledge', await ack(ids[1], '999999'), 400);
      expectFits('post', '/api/consumers/{id}/acknowledge', await ack(ids[0], m.offset), 409);
      expectFits('get', '/api/consumers/{id}', await api().get(`/api/consumers/${ids[0]}`), 200);
      await waitFor('the consumer-protocol member to own partitions', async () => (await api().get(`/api/groups/${newGroup}`)).body.members?.length === 1, 30_000, 200);
      expectFits('get', '/api/groups/{groupId}', await api().get(`/api/groups/${newGroup}`), 200);
      expectFits('get', '/api/groups/{groupId}', await api().get(`/api/groups/${shareGroup}`), 200);
      expectFits('get', '/api/groups', await api().get('/api/groups'), 200);
      expectFits('post', '/api/consumers/{id}/kill', await api().post(`/api/consumers/${ids[0]}/kill`), 200);
      expectFits('post', '/api/consumers/{id}/stop', await api().post(`/api/consumers/${ids[1]}/stop`), 200);
      expectFits('post', '/api/consumers/{id}/acknowledge', await ack(ids[1], m.offset), 409);
    } finally {
      await Promise.all(ids.map((id) => api().delete(`/api/consumers/${id}`)));
    }
  });

  it('grading and labs: a student who made a replicated topic passed replicated-topic, in the report, the CSV, the labs and on the timeline', async () => {
    const student = await addStudent('openapi-graded');
    try {
      const made = await api(student.token).post('/api/topics').send({ name: 'graded', partitions: 3, replicationFactor: 3 });
      expect(made.status).toBe(201);
      const own = await api(student.token).get(`/api/grading/${student.id}`);
      expectFits('get', '/api/grading/{studentId}', own, 200);
      const passed = own.body.checkpoints.find((c: { id: string }) => c.id === 'replicated-topic');
      expect(passed).toMatchObject({ passed: true, at: expect.any(String) });
      // The student reads their own names; the instructor the cluster's.
      expect(passed.evidence.topics).toEqual(['graded']);
      const seen = await api().get(`/api/grading/${student.id}`);
      expectFits('get', '/api/grading/{studentId}', seen, 200);
      expect(seen.body.checkpoints[0].evidence.topics).toEqual([`s-${student.id}.graded`]);
      expectFits('get', '/api/grading/{studentId}', await api().get('/api/grading/nobody'), 404);

      const all = await api().get('/api/grading');
      expectFits('get', '/api/grading', all, 200);
      expect(all.body.find((r: { student: { id: string } }) => r.student.id === student.id).student.checkpoints).toEqual(['replicated-topic']);
      const csv = await api().get('/api/grading?format=csv');
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expectFits('get', '/api/grading', csv, 200);
      const lines = csv.text.trimEnd().split('\n');
      expect(lines[0]).toBe('student,name,replicated-topic,pub-sub,load-sharing,consumer-failover,broker-failover,no-data-loss,incremental-rebalance,share-group');
      const row = lines.find((l) => l.startsWith(`${student.id},`));
      expect(row?.split(',').slice(0, 3)).toEqual([student.id, student.name, 'true']);
      expect(lines.every((l) => l.split(',').length >= 10)).toBe(true);
      expect(lines.length).toBe(all.body.length + 1);
      expectFits('get', '/api/grading', await api().get('/api/grading?format=xml'), 400);

      const labs = await api(student.token).get('/api/labs');
      expectFits('get', '/api/labs', labs, 200);
      expect(labs.body[0]).toMatchObject({ id: 'A', passed: ['replicated-topic'] });
      const labA = await api(student.token).get('/api/labs/a');
      expectFits('get', '/api/labs/{id}', labA, 200);
      expect(labA.body.steps.find((s: { checkpoint: string | null }) => s.checkpoint === 'replicated-topic').passed).toBe(true);
      const missing = await api(student.token).get('/api/labs/h');
      expectFits('get', '/api/labs/{id}', missing, 404);
      expect(missing.body.message).toBe('There is no lab h; the labs are A to G.');

      // Announced once, to the student's timeline (the events test below checks its schema).
      const announced = await waitFor('the checkpoint.passed event', async () => {
        const r = await api(student.token).get('/api/events?types=checkpoint.passed');
        return r.body.events.length ? r.body.events : undefined;
      }, 10_000);
      expect(announced).toEqual([expect.objectContaining({ actor: 'system', studentId: student.id, checkpoint: 'replicated-topic' })]);
    } finally {
      await api().delete(`/api/students/${student.id}?purge=true`);
    }
  });

  it('GET /api/events, every page of them and filtered, and 400 for a bad limit', async () => {
    // Every event of the run so far, page by page: each one must fit its type's schema.
    let after = 0;
    let seen = 0;
    const ours: Array<{ type: string }> = [];
    for (;;) {
      const page = await api().get(`/api/events?after=${after}&limit=5000`);
      expectFits('get', '/api/events', page, 200);
      if (page.body.events.length === 0) break;
      seen += page.body.events.length;
      ours.push(...page.body.events.filter((e: { topic?: string }) => e.topic === topic));
      after = page.body.next;
    }
    expect(seen).toBeGreaterThan(0);
    expect(ours.map((e) => e.type)).toContain('topic.created');
    const typed = await api().get('/api/events?types=topic.created,topic.deleted&limit=10');
    expectFits('get', '/api/events', typed, 200);
    expect(typed.body.events.every((e: { type: string }) => e.type === 'topic.created' || e.type === 'topic.deleted')).toBe(true);
    expectFits('get', '/api/events', await api().get('/api/events?limit=0'), 400);
    expectFits('get', '/api/events', await api().get('/api/events?types=no.such-type'), 400);
  });

  it("Kafka's internal topics: producing to and deleting __consumer_offsets is 403 with a sentence", async () => {
    const produced = await api().post('/api/topics/__consumer_offsets/messages').set('Content-Type', 'text/plain').send('h');
    expectFits('post', '/api/topics/{name}/messages', produced, 403);
    expect(produced.body.message).toBe("Topic __consumer_offsets is Kafka's own: it keeps the consumer groups' committed offsets; the lab does not let anyone write to it. Use a topic of your own.");
    expect(produced.body.retriable).toBe(false);
    expectFits('delete', '/api/topics/{name}', await api().delete('/api/topics/__consumer_offsets'), 403);
    expectFits('post', '/api/topics', await api().post('/api/topics').send({ name: '__mine', partitions: 1, replicationFactor: 1 }), 403);
    // Still there, still readable.
    expectFits('get', '/api/topics/{name}', await api().get('/api/topics/__consumer_offsets'), 200);
  });

  it('405 with Allow for a method a path does not take; 415 for a body of a type no route reads', async () => {
    const res = await api().patch('/api/topics');
    expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD, POST']);
    expect(res.body).toMatchObject({ statusCode: 405, error: 'Method Not Allowed', message: '/api/topics does not take PATCH; it takes GET, HEAD, POST.' });
    const form = await api().post('/api/topics').set('Content-Type', 'application/x-www-form-urlencoded').send('name=x');
    expectFits('post', '/api/topics', form, 415);
    const text = await api().post('/api/topics').set('Content-Type', 'text/plain').send('x');
    expectFits('post', '/api/topics', text, 415);
    expect(text.body.message).toMatch(/^This route takes a JSON body, not text/);
  });

  it('POST /api/cluster/nodes/{id}/stop: 404 for a node that does not exist, 400 for an id that is not a number', async () => {
    expectFits('post', '/api/cluster/nodes/{id}/stop', await api().post('/api/cluster/nodes/77/stop'), 404);
    expectFits('post', '/api/cluster/nodes/{id}/stop', await api().post('/api/cluster/nodes/abc/stop'), 400);
  });
});
