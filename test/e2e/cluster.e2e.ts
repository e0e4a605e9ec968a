import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventMark, waitForEvents } from '../support/events';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { DEFAULT_KAFKA_VERSION } from '../../src/cluster/distribution/kafka-version';

/**
 * Lifecycle on the shared 1+3 cluster. Every test leaves all nodes running again, because the other
 * e2e files run against the same cluster after it.
 */
describe('cluster lifecycle (real Kafka)', () => {
  const describeTopic = async (name: string) => (await api().get(`/api/topics/${name}`).expect(200)).body;
  const allRunning = () =>
    waitFor('every node running', async () => {
      const c = (await api().get('/api/cluster').expect(200)).body;
      return c.state === 'running' && c.brokers.every((b: any) => b.state === 'running') ? c : undefined;
    }, 120_000);
  const fullIsr = (name: string) =>
    waitFor(`every replica of ${name} back in the ISR`, async () => {
      const d = await describeTopic(name);
      return d.partitions.every((p: any) => p.isr.length === p.replicas.length && p.leader !== null) ? d : undefined;
    }, 90_000, 250);

  afterEach(async () => {
    // Whatever a test did, hand the next one a whole cluster.
    const c = (await api().get('/api/cluster').expect(200)).body;
    for (const n of [...c.controllers, ...c.brokers]) {
      if (n.state === 'paused') await api().post(`/api/cluster/nodes/${n.id}/resume`);
      else if (n.state !== 'running' && n.state !== 'starting') await api().post(`/api/cluster/nodes/${n.id}/start`);
    }
    await allRunning();
  });

  it('reports the cluster shape, with health open to anyone and the rest behind a token', async () => {
    const h = await api(null).get('/api/health').expect(200);
    expect(h.body.status).toBe('ok');
    expect(h.body.cluster.state).toBe('running');
    const c = (await api().get('/api/cluster').expect(200)).body;
    expect(c.driver).toBe('process');
    // The release the shared server runs: KAFKA_VERSION when the run sets one, else the lab's default.
    expect(c.kafkaVersion).toBe(process.env.KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION);
    expect(c.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(c.controllers.map((n: any) => n.id)).toEqual([100]);
    expect(c.brokers.map((n: any) => [n.id, n.port, n.state])).toEqual([0, 1, 2].map((i) => [i, sharedLab().portBase + i, 'running']));
    expect(c.bootstrapServers).toBe(sharedLab().bootstrap.join(','));
    const no = await api(null).get('/api/cluster').expect(401);
    expect(no.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(no.body.message).toMatch(/token/);
    await api('not-a-token').get('/api/cluster').expect(401);
    expect((await api().get('/api/me').expect(200)).body).toEqual({ id: 'instructor', name: 'Instructor', role: 'instructor' });
  });

  it('answers bad node requests with 4xx sentences', async () => {
    const r404 = await api().post('/api/cluster/nodes/7/kill').expect(404);
    expect(r404.body.message).toMatch(/no node 7/);
    const r400 = await api().post('/api/cluster/nodes/abc/stop').expect(400);
    expect(r400.body.message).toMatch(/whole number/);
    const r409 = await api().post('/api/cluster/nodes/1/start').expect(409);
    expect(r409.body.message).toMatch(/already running/);
    await api().post('/api/cluster/nodes/1/resume').expect(409);
    const shape = await api().post('/api/cluster/start').send({ brokers: 12 }).expect(400);
    expect(shape.body.message).toMatch(/brokers must be/);
    const other = await api().post('/api/cluster/start').send({ brokers: 2 }).expect(409);
    expect(other.body.message).toMatch(/reset/);
    // Starting a running cluster with its own shape is harmless.
    expect((await api().post('/api/cluster/start').send({}).expect(200)).body.state).toBe('running');
  });

  it('stop vs kill of a leader broker: leaders move off it (at once vs after fencing), the ISR shrinks and grows back', async () => {
    const name = uniqueName('failover');
    await api().post('/api/topics').send({ name, partitions: 6, replicationFactor: 3 }).expect(201);
    const before = await describeTopic(name);
    const victim = before.partitions[0].leader as number;
    const led = before.partitions.filter((p: any) => p.leader === victim).map((p: any) => p.partition);
    process.stdout.write(`% ${name}: broker ${victim} leads partitions ${led.join(', ')}\n`);
    expect(led.length).toBeGreaterThan(0);

    // Graceful stop: controlled shutdown moves leadership before the process exits.
    let mark = await eventMark();
    const t0 = Date.now();
    const stopped = (await api().post(`/api/cluster/nodes/${victim}/stop`).expect(200)).body;
    expect(stopped.state).toBe('degraded');
    expect(stopped.brokers.find((b: any) => b.id === victim).state).toBe('stopped');
    const afterStop = await waitFor('leaders off the stopped broker', async () => {
      const d = await describeTopic(name);
      return d.partitions.every((p: any) => p.leader !== victim && !p.isr.includes(victim)) ? d : undefined;
    }, 30_000, 100);
    const stopMs = Date.now() - t0;
    expect(afterStop.partitions.every((p: any) => p.offlineReplicas.includes(victim))).toBe(true);
    const evs = await waitForEvents('leader-changed and isr-changed events for the stopped broker', mark, (e) =>
      led.every((p: number) => e.some((x) => x.type === 'partition.leader-changed' && x.topic === name && x.partition === p && x.from === victim))
      && e.some((x) => x.type === 'partition.isr-changed' && x.topic === name && !x.isr.includes(victim) && x.previous.includes(victim)),
      60_000,
    );
    expect(evs.some((x) => x.type === 'node.stopped' && x.nodeId === victim && x.role === 'broker')).toBe(true);

    // Back: it rejoins every ISR.
    mark = await eventMark();
    await api().post(`/api/cluster/nodes/${victim}/start`).expect(200);
    await fullIsr(name);
    await waitForEvents('isr-changed events growing back', mark, (e) =>
      e.some((x) => x.type === 'partition.isr-changed' && x.topic === name && x.isr.includes(victim) && !x.previous.includes(victim)), 30_000);

    // Preferred leaders come back on request.
    const elected = (await api().post(`/api/topics/${name}/elect-leaders`).expect(200)).body;
    expect(elected.partitions.every((p: any) => p.leader === p.replicas[0])).toBe(true);

    // Kill: no controlled shutdown; leaders move only once the controller fences the broker.
    const d2 = await describeTopic(name);
    const victim2 = d2.partitions[1].leader as number;
    mark = await eventMark();
    const t1 = Date.now();
    const killed = (await api().post(`/api/cluster/nodes/${victim2}/kill`).expect(200)).body;
    expect(killed.brokers.find((b: any) => b.id === victim2).state).toBe('killed');
    await waitFor('leaders off the killed broker', async () => {
      const d = await describeTopic(name);
      return d.partitions.every((p: any) => p.leader !== victim2) ? d : undefined;
    }, 60_000, 100);
    const killMs = Date.now() - t1;
    const kevs = await waitForEvents('events for the kill', mark, (e) => e.some((x) => x.type === 'partition.leader-changed' && x.from === victim2 && x.topic === name), 60_000);
    expect(kevs.some((x) => x.type === 'node.killed' && x.nodeId === victim2)).toBe(true);
    process.stdout.write(`% leaders left a stopped broker in ${stopMs} ms, a killed one in ${killMs} ms\n`);
    expect(killMs).toBeGreaterThan(stopMs);
    await api().post(`/api/cluster/nodes/${victim2}/start`).expect(200);
    await fullIsr(name);
    await api().delete(`/api/topics/${name}`).expect(204);
  });

  it('pauses and resumes a broker (SIGSTOP/SIGCONT), degraded meanwhile', async () => {
    const mark = await eventMark();
    const paused = (await api().post('/api/cluster/nodes/2/pause').expect(200)).body;
    expect(paused.state).toBe('degraded');
    expect(paused.brokers.find((b: any) => b.id === 2).state).toBe('paused');
    await api().post('/api/cluster/nodes/2/pause').expect(409);
    const resumed = (await api().post('/api/cluster/nodes/2/resume').expect(200)).body;
    expect(resumed.brokers.find((b: any) => b.id === 2).state).toBe('running');
    await waitForEvents('paused and resumed events', mark, (e) =>
      e.some((x) => x.type === 'node.paused' && x.nodeId === 2) && e.some((x) => x.type === 'node.resumed' && x.nodeId === 2));
  });

  it('tells the truth when a broker dies on its own: crashed, then started again', async () => {
    const mark = await eventMark();
    const pidFile = path.join(sharedLab().dataDir, 'cluster', 'nodes', '1', 'pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL'); // from outside the service, as a crash would be
    const c = await waitFor('broker 1 crashed', async () => {
      const v = (await api().get('/api/cluster').expect(200)).body;
      return v.brokers.find((b: any) => b.id === 1).state === 'crashed' ? v : undefined;
    }, 15_000);
    expect(c.state).toBe('degraded');
    await waitForEvents('node.crashed', mark, (e) => e.some((x) => x.type === 'node.crashed' && x.nodeId === 1 && x.role === 'broker'));
    await api().post('/api/cluster/nodes/1/start').expect(200);
  });

  it('starts a node without waiting when asked (?wait=false → 202)', async () => {
    await api().post('/api/cluster/nodes/0/stop').expect(200);
    const r = await api().post('/api/cluster/nodes/0/start?wait=false').expect(202);
    expect(['starting', 'running']).toContain(r.body.brokers.find((b: any) => b.id === 0).state);
    expect(['starting', 'degraded']).toContain(r.body.state);
    await allRunning();
    await api().post('/api/cluster/nodes/0/start?wait=maybe').expect(400);
  });
});
