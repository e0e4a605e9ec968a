import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, freePortBase } from '../support/free-ports';
import { kcat } from '../support/kcat';
import { api, uniqueName, waitFor } from '../support/lab';
import { ROOT, ServerHandle, alive, kafkaPidsUnder, startLabServer } from '../support/lab-server';

/**
 * Lab D on a SECOND lab server beside the shared one (own data dir, own port base): one broker, its
 * failure, scale-out to three, a topic that survives a broker, a restart of the service that keeps
 * everything, and a reset to a new shape.
 */
describe('Lab D: from one broker to a fault-tolerant cluster (second server side by side)', () => {
  const token = 'second-server-token';
  const runDir = path.join(ROOT, '.test-data', uniqueName('second'));
  let env: Record<string, string>;
  let server: ServerHandle | undefined;
  const http = () => api(token, server!.url);
  const bootstrapOf = async () => (await http().get('/api/cluster').expect(200)).body.bootstrapServers as string;

  beforeAll(async () => {
    const [port, base] = await Promise.all([freePort(), freePortBase()]);
    env = {
      PORT: String(port), LAB_DATA_DIR: path.join(runDir, 'lab'), LAB_KAFKA_PORT_BASE: String(base),
      LAB_INSTRUCTOR_TOKEN: token, LAB_BROKERS: '1', LAB_CONTROLLERS: '1',
    };
    server = await startLabServer(env, { logFile: path.join(runDir, 'server.log'), timeoutMs: 150_000 });
  });

  afterAll(async () => {
    await server?.stop();
    expect(kafkaPidsUnder(env.LAB_DATA_DIR)).toEqual([]);
    // The Kafka data goes; the server's log stays beside it for a look after a failure.
    fs.rmSync(path.join(runDir, 'lab'), { recursive: true, force: true });
  });

  it('runs the whole lab', async () => {
    // 1. One broker, a topic of replication factor 1.
    let c = (await http().get('/api/cluster').expect(200)).body;
    expect(c.brokers.map((b: any) => b.id)).toEqual([0]);
    const clusterId = c.clusterId;
    await http().post('/api/topics').send({ name: 'single', partitions: 1, replicationFactor: 1 }).expect(201);
    await http().post('/api/topics/single/messages').send({ messages: [{ value: 'hello' }] }).expect(201);
    expect(await kcat(['-C', '-b', await bootstrapOf(), '-t', 'single', '-o', 'beginning', '-e', '-q', '-f', '%s\n'])).toBe('hello\n');

    // 2. Kill it: writing fails at once with a clear message; the broker is a single point of failure.
    await http().post('/api/cluster/nodes/0/kill').expect(200);
    const t0 = Date.now();
    const down = await http().post('/api/topics/single/messages').send({ messages: [{ value: 'lost?' }, { value: 'lost too?' }] }).expect(503);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(down.body.message).toBe('None of the 2 messages were written to topic single: no broker of the cluster is running.');
    expect(down.body.details.map((d: any) => [d.index, d.written])).toEqual([[0, false], [1, false]]);
    expect((await http().get('/api/cluster').expect(200)).body.state).toBe('degraded'); // the controller still runs
    await http().post('/api/cluster/nodes/0/start').expect(200);

    // 3. Scale out by two brokers; any broker as bootstrap lists the same topics.
    const added = (await http().post('/api/cluster/brokers').send({}).expect(201)).body;
    expect(added.node).toMatchObject({ id: 1, role: 'broker', state: 'running' });
    await http().post('/api/cluster/brokers').send({}).expect(201);
    c = (await http().get('/api/cluster').expect(200)).body;
    expect(c.brokers.map((b: any) => [b.id, b.state])).toEqual([[0, 'running'], [1, 'running'], [2, 'running']]);
    const listings = await Promise.all(c.brokers.map(async (b: any) => {
      const out = await kcat(['-L', '-b', `${b.host}:${b.port}`, '-J']);
      return JSON.parse(out).topics.map((t: any) => t.topic).filter((t: string) => !t.startsWith('__')).sort().join(',');
    }));
    expect(new Set(listings).size).toBe(1);
    expect(listings[0]).toBe('single');

    // 4. purchases: 3 partitions, replication factor 3.
    await http().post('/api/topics').send({ name: 'purchases', partitions: 3, replicationFactor: 3 }).expect(201);
    const values = ['purchase1', 'purchase2', 'purchase3', 'purchase4', 'purchase5'];
    await http().post('/api/topics/purchases/messages').set('content-type', 'text/plain').send(values.join('\n')).expect(201);

    // 5. Stop broker 1: the topic survives and a new reader from the beginning gets every message.
    await http().post('/api/cluster/nodes/1/stop').expect(200);
    const d = (await http().get('/api/topics/purchases').expect(200)).body;
    expect(d.partitions.every((p: any) => p.leader !== null && p.leader !== 1)).toBe(true);
    const got = await kcat(['-C', '-b', await bootstrapOf(), '-t', 'purchases', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
    expect(got.trim().split('\n').sort()).toEqual(values);

    // A restart of the service stops every node it started and loses nothing.
    const seqBefore = (await http().get('/api/events?limit=5000').expect(200)).body.events.map((e: any) => e.seq);
    await server!.stop();
    expect(kafkaPidsUnder(env.LAB_DATA_DIR)).toEqual([]);
    server = await startLabServer(env, { logFile: path.join(runDir, 'server.log'), timeoutMs: 150_000 });
    c = (await http().get('/api/cluster').expect(200)).body;
    expect(c.clusterId).toBe(clusterId);
    expect(c.brokers).toHaveLength(3);
    const seqAfter = (await http().get('/api/events?limit=5000').expect(200)).body.events.map((e: any) => e.seq);
    expect(seqAfter.slice(0, seqBefore.length)).toEqual(seqBefore);
    const again = await waitFor('purchases readable after the restart', async () => {
      const o = await kcat(['-C', '-b', await bootstrapOf(), '-t', 'purchases', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
      return o.trim().split('\n').length === 5 ? o : undefined;
    }, 60_000, 500);
    expect(again.trim().split('\n').sort()).toEqual(values);

    // A crash of the service (SIGKILL: no shutdown) leaves its Kafka nodes running; the next start sweeps them.
    const orphans = kafkaPidsUnder(env.LAB_DATA_DIR);
    expect(orphans).toHaveLength(4);
    server!.child.kill('SIGKILL');
    await waitFor('the server to die', () => !alive(server!.pid), 10_000);
    expect(orphans.every(alive)).toBe(true);
    server = await startLabServer(env, { logFile: path.join(runDir, 'server.log'), timeoutMs: 150_000 });
    expect(orphans.filter(alive)).toEqual([]);
    expect((await http().get('/api/cluster').expect(200)).body.clusterId).toBe(clusterId);

    // Reset to a new shape: fresh cluster, no topics.
    const reset = (await http().post('/api/cluster/reset').send({ brokers: 2 }).expect(200)).body;
    expect(reset.state).toBe('running');
    expect(reset.clusterId).not.toBe(clusterId);
    expect(reset.brokers.map((b: any) => b.id)).toEqual([0, 1]);
    expect((await http().get('/api/topics').expect(200)).body).toEqual([]);
    const types = (await http().get('/api/events?types=cluster.reset,cluster.started&limit=5000').expect(200)).body.events.map((e: any) => e.type);
    expect(types).toContain('cluster.reset');
  });
});
