import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ev } from '../support/events';
import { freePort } from '../support/free-ports';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { ROOT, ServerHandle, startLabServer } from '../support/lab-server';

/**
 * A second lab server with LAB_DRIVER=external observes the SHARED cluster of the run. A broker is
 * killed and started again through the shared server; the second one sees it leave (unreachable)
 * and come back (running) from the cluster's own metadata, and records the leader and ISR changes.
 * The shared cluster is handed back whole: every node running, full ISRs, preferred leaders.
 */
describe('external driver: a second server observing the shared cluster', () => {
  const token = 'external-server-token';
  const runDir = path.join(ROOT, '.test-data', uniqueName('external'));
  let server: ServerHandle | undefined;
  let killed: number | undefined;
  const second = () => api(token, server!.url);
  const secondBroker = async (id: number) => ((await second().get('/api/cluster').expect(200)).body.brokers as any[]).find((b) => b.id === id);
  const secondEvents = async (after: number): Promise<Ev[]> => {
    const out: Ev[] = [];
    for (;;) {
      const r = await second().get(`/api/events?after=${after}&limit=5000`).expect(200);
      if (r.body.events.length === 0) return out;
      out.push(...r.body.events);
      after = r.body.next;
    }
  };
  const waitForSecondEvents = async (what: string, mark: number, pred: (e: Ev[]) => boolean, timeoutMs = 60_000) => {
    try {
      return await waitFor(what, async () => {
        const evs = await secondEvents(mark);
        return pred(evs) ? evs : undefined;
      }, timeoutMs, 200);
    } catch (e) {
      const seen = (await secondEvents(mark)).map(({ seq, time, actor, ...rest }) => JSON.stringify(rest));
      throw new Error(`${(e as Error).message}; events on the second server after seq ${mark}:\n${seen.join('\n') || '(none)'}`);
    }
  };

  /** The shared cluster as the other e2e files expect it: every node running, every ISR full, preferred leaders. */
  const restoreShared = async () => {
    const c = (await api().get('/api/cluster').expect(200)).body;
    for (const n of [...c.controllers, ...c.brokers]) {
      if (n.state !== 'running' && n.state !== 'starting') await api().post(`/api/cluster/nodes/${n.id}/start`).expect(200);
    }
    await waitFor('the shared cluster running', async () => (await api().get('/api/cluster').expect(200)).body.state === 'running', 120_000);
    const topics = (await api().get('/api/topics?internal=true').expect(200)).body as { name: string }[];
    for (const { name } of topics) {
      const d = await waitFor(`every replica of ${name} back in the ISR`, async () => {
        const t = (await api().get(`/api/topics/${name}`).expect(200)).body;
        return t.partitions.every((p: any) => p.isr.length === p.replicas.length && p.leader !== null) ? t : undefined;
      }, 90_000, 250);
      if (d.partitions.some((p: any) => p.leader !== p.replicas[0])) {
        await api().post(`/api/topics/${name}/elect-leaders`).expect(200);
        await waitFor(`preferred leaders of ${name}`, async () =>
          (await api().get(`/api/topics/${name}`).expect(200)).body.partitions.every((p: any) => p.leader === p.replicas[0]), 30_000, 250);
      }
    }
    killed = undefined;
  };

  beforeAll(async () => {
    const env = {
      PORT: String(await freePort()), LAB_DATA_DIR: path.join(runDir, 'lab'), LAB_INSTRUCTOR_TOKEN: token,
      LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: sharedLab().bootstrap.join(','),
    };
    server = await startLabServer(env, { logFile: path.join(runDir, 'server.log'), timeoutMs: 60_000 });
  });

  afterAll(async () => {
    try {
      if (killed !== undefined) await restoreShared();
    } finally {
      await server?.stop();
      fs.rmSync(path.join(runDir, 'lab'), { recursive: true, force: true });
    }
  });

  it('shows a broker killed on the shared cluster as unreachable, records leader and ISR changes, and shows it running once back', async () => {
    // The cluster's own brokers, with their advertised addresses; no lifecycle here.
    const c = (await second().get('/api/cluster').expect(200)).body;
    expect(c.driver).toBe('external');
    expect(c.state).toBe('running');
    expect(c.bootstrapServers).toBe(sharedLab().bootstrap.join(','));
    expect(c.clusterId).toBe((await api().get('/api/cluster').expect(200)).body.clusterId);
    expect(c.brokers.map((b: any) => [b.id, b.port, b.state])).toEqual([0, 1, 2].map((i) => [i, sharedLab().portBase + i, 'running']));
    expect((await second().post('/api/cluster/nodes/1/kill').expect(409)).body.message).toMatch(/external driver/);

    const name = uniqueName('observed');
    await second().post('/api/topics').send({ name, partitions: 3, replicationFactor: 3 }).expect(201);
    const before = (await second().get(`/api/topics/${name}`).expect(200)).body;
    const victim = before.partitions[0].leader as number;
    const led = before.partitions.filter((p: any) => p.leader === victim).map((p: any) => p.partition as number);
    const mark = await lastSeq();

    // Killed through the shared server: the second one learns it from the cluster alone.
    killed = victim;
    const t0 = Date.now();
    await api().post(`/api/cluster/nodes/${victim}/kill`).expect(200);
    const gone = await waitFor(`broker ${victim} unreachable on the second server`, async () => {
      const b = await secondBroker(victim);
      return b?.state === 'unreachable' ? b : undefined;
    }, 60_000, 200);
    const goneMs = Date.now() - t0;
    expect(gone.reason).toMatch(new RegExp(`no longer lists broker ${victim}`));
    expect((await second().get('/api/cluster').expect(200)).body.state).toBe('degraded');
    await waitForSecondEvents('node, leader and ISR events on the second server', mark, (e) =>
      e.some((x) => x.type === 'node.crashed' && x.nodeId === victim && x.role === 'broker' && typeof x.reason === 'string')
      && led.every((p) => e.some((x) => x.type === 'partition.leader-changed' && x.topic === name && x.partition === p && x.from === victim))
      && e.some((x) => x.type === 'partition.isr-changed' && x.topic === name && x.previous.includes(victim) && !x.isr.includes(victim)));
    // Writes go on through the second server, placed by its snapshot of the new leaders.
    const w = (await second().post(`/api/topics/${name}/messages`).send({ messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }] }).expect(201)).body;
    expect(w.results).toHaveLength(3);

    // Back on the shared server, whole again (other files share it); the second one sees it return.
    const back = await lastSeq();
    const t1 = Date.now();
    await api().post(`/api/cluster/nodes/${victim}/start`).expect(200);
    await restoreShared();
    const returned = await waitFor(`broker ${victim} running on the second server`, async () => {
      const b = await secondBroker(victim);
      return b?.state === 'running' ? b : undefined;
    }, 60_000, 200);
    process.stdout.write(`% second server: broker ${victim} unreachable ${goneMs} ms after the kill; running again ${Date.parse(returned.since) - t1} ms after its start was asked for\n`);
    expect(returned.reason).toBeUndefined();
    await waitForSecondEvents('the broker back, and in the ISR again', back, (e) =>
      e.some((x) => x.type === 'node.started' && x.nodeId === victim && typeof x.reason === 'string')
      && e.some((x) => x.type === 'partition.isr-changed' && x.topic === name && x.isr.includes(victim) && !x.previous.includes(victim)));
    expect((await second().get('/api/cluster').expect(200)).body.state).toBe('running');
    await second().delete(`/api/topics/${name}`).expect(204);
  });

  /** The newest seq on the second server's timeline. */
  async function lastSeq(): Promise<number> {
    let after = 0;
    for (;;) {
      const r = await second().get(`/api/events?after=${after}&limit=5000`).expect(200);
      if (r.body.events.length === 0) return after;
      after = r.body.next;
    }
  }
});
