import * as fs from 'node:fs';
import * as path from 'node:path';
import { addStudent, TestStudent } from '../support/class';
import { freePort, freePortBase } from '../support/free-ports';
import { CHECKPOINT_IDS, GradingReport, passedIds, ReadEvent, waitForPass } from '../support/grading';
import { api, uniqueName, waitFor } from '../support/lab';
import { ROOT, ServerHandle, kafkaPidsUnder, startLabServer } from '../support/lab-server';

/**
 * The same stored timeline gives the same grades: on a SECOND server (one broker: the checkpoints run
 * here need no more), a student passes pub-sub, load-sharing and consumer-failover; the server is
 * stopped and started again on the same data dir, and GET /api/grading answers exactly as before,
 * without a second checkpoint.passed for anything.
 */
describe('grading survives a restart of the service unchanged', () => {
  const token = 'grading-restart-token';
  const runDir = path.join(ROOT, '.test-data', uniqueName('grading-restart'));
  let env: Record<string, string>;
  let server: ServerHandle | undefined;
  const http = (t = token) => api(t, server!.url);
  const logFile = path.join(runDir, 'server.log');

  beforeAll(async () => {
    const [port, base] = await Promise.all([freePort(), freePortBase()]);
    env = {
      PORT: String(port), LAB_DATA_DIR: path.join(runDir, 'lab'), LAB_KAFKA_PORT_BASE: String(base),
      LAB_INSTRUCTOR_TOKEN: token, LAB_BROKERS: '1', LAB_CONTROLLERS: '1', LAB_CONSUMER_SESSION_TIMEOUT_MS: '6000',
    };
    server = await startLabServer(env, { logFile, timeoutMs: 150_000 });
  });

  afterAll(async () => {
    await server?.stop();
    expect(kafkaPidsUnder(env.LAB_DATA_DIR)).toEqual([]);
    // The Kafka data goes; the server's log stays beside it for a look after a failure.
    fs.rmSync(path.join(runDir, 'lab'), { recursive: true, force: true });
  });

  it('gives identical grades, evidence and times after a restart, and publishes no pass twice', async () => {
    const ada: TestStudent = await addStudent('Ada', server!.url, token);
    const idle: TestStudent = await addStudent('Idle', server!.url, token);
    const as = () => http(ada.token);
    const start = async (body: Record<string, unknown>): Promise<string> => {
      const r = await as().post('/api/consumers').send(body);
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    const owns = async (id: string): Promise<number[]> => (await as().get(`/api/consumers/${id}`)).body.assignment.flatMap((a: { partitions: number[] }) => a.partitions);
    const produce = async (n: number) => {
      const messages = Array.from({ length: n }, (_, i) => ({ value: `m${i}`, partition: i % 2 }));
      expect((await as().post('/api/topics/orders/messages').send({ messages })).status).toBe(201);
    };
    expect((await as().post('/api/topics').send({ name: 'orders', partitions: 2, replicationFactor: 1 })).status).toBe(201);
    const url = server!.url;

    // pub-sub: two consumers, each a group of its own.
    const solo = [await start({ topic: 'orders', fromBeginning: true }), await start({ topic: 'orders', fromBeginning: true })];
    await produce(2);
    await waitForPass(ada.id, 'pub-sub', token, 30_000, url);
    for (const id of solo) expect((await as().post(`/api/consumers/${id}/stop`)).status).toBe(200);

    // load-sharing, then consumer-failover: a group of two, one leaves, the other takes its partition.
    const [l1, l2] = [await start({ topic: 'orders', groupId: 'g' }), await start({ topic: 'orders', groupId: 'g' })];
    await waitFor('the two to hold one partition each', async () => (await owns(l1)).length === 1 && (await owns(l2)).length === 1, 60_000, 250);
    await produce(4);
    await waitForPass(ada.id, 'load-sharing', token, 30_000, url);
    expect((await as().post(`/api/consumers/${l1}/stop`)).status).toBe(200);
    await waitFor('l2 to hold both partitions', async () => (await owns(l2)).length === 2, 60_000, 250);
    await produce(4);
    await waitForPass(ada.id, 'consumer-failover', token, 30_000, url);
    expect((await as().post(`/api/consumers/${l2}/stop`)).status).toBe(200);

    const before = (await http().get('/api/grading').expect(200)).body as GradingReport[];
    expect(before.map((r) => r.student.id).sort()).toEqual([ada.id, idle.id].sort());
    expect(passedIds(before.find((r) => r.student.id === ada.id)!)).toEqual(['pub-sub', 'load-sharing', 'consumer-failover']);
    const csvBefore = (await http().get('/api/grading?format=csv').expect(200)).text;
    const passedEvents = async () => (await http().get('/api/events?types=checkpoint.passed&limit=5000').expect(200)).body.events as ReadEvent[];
    const eventsBefore = await passedEvents();
    expect(eventsBefore.map((e) => e.checkpoint).sort()).toEqual(['consumer-failover', 'load-sharing', 'pub-sub']);

    await server!.stop();
    expect(kafkaPidsUnder(env.LAB_DATA_DIR)).toEqual([]);
    server = await startLabServer(env, { logFile, timeoutMs: 150_000 });

    const after = (await http().get('/api/grading').expect(200)).body as GradingReport[];
    // lastSeen is when a token was last used, written to disk now and then: not a grade.
    const graded = (rs: GradingReport[]) => rs.map((r) => ({ ...r, student: { ...r.student, lastSeen: null } }));
    expect(graded(after)).toEqual(graded(before));
    for (const r of after) expect(r.checkpoints.map((c) => c.id)).toEqual(CHECKPOINT_IDS);
    expect((await http().get('/api/grading?format=csv').expect(200)).text).toBe(csvBefore);
    expect(await http(ada.token).get(`/api/grading/${ada.id}`).expect(200).then((r) => r.body.checkpoints)).toEqual(
      before.find((r) => r.student.id === ada.id)!.checkpoints.map((c) => ({ ...c, evidence: c.evidence && expect.objectContaining({ events: c.evidence.events }) })),
    );

    // A pass re-derived from the timeline is not published again. The service publishes on a deferred
    // tick after its boot replay, long before a later event: once the timeline holds an event stored
    // after this point (a class setting toggled and put back), it holds the same three
    // checkpoint.passed, the same seqs.
    const joinOpen = (await http().get('/api/class').expect(200)).body.joinOpen as boolean;
    await http().patch('/api/class').send({ joinOpen: !joinOpen }).expect(200);
    await http().patch('/api/class').send({ joinOpen }).expect(200);
    const marks = (await http().get('/api/events?types=class.updated&limit=5000').expect(200)).body.events as ReadEvent[];
    expect(marks.length).toBeGreaterThanOrEqual(2);
    expect(await passedEvents()).toEqual(eventsBefore);
  });
});
