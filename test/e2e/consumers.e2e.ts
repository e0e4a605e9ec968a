import { ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'socket.io-client';
import { kcatAvailable } from '../support/kcat';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { connect, subscribe } from '../support/socket';

/**
 * Labs A and B through the API, on the shared 3-broker cluster: publish/subscribe versus queue, a
 * member that leaves (rebalance at once) versus one that dies (rebalance after the session timeout),
 * the socket pushes, and a kcat member in the same group.
 */

interface TP { topic: string; partitions: number[] }
interface Consumer { id: string; groupId: string; state: string; memberId: string | null; assignment: TP[]; received: number }
interface Msg { seq: number; consumerId: string; topic: string; partition: number; offset: string; key: string | null; value: string | null }
interface Rebalance { seq: number; type: string; groupId: string; consumerId: string; memberId: string; generation: number | null; assigned: TP[]; revoked: TP[] }

const partitionsOf = (a: TP[]) => a.flatMap((tp) => tp.partitions).sort((x, y) => x - y);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function createTopic(partitions: number): Promise<string> {
  const name = uniqueName('cons');
  const r = await api().post('/api/topics').send({ name, partitions, replicationFactor: 3 });
  expect(r.status).toBe(201);
  return name;
}

/** Writes values round-robin over the partitions, so every partition gets some. */
async function produce(topic: string, values: string[], partitions: number): Promise<void> {
  const r = await api()
    .post(`/api/topics/${topic}/messages`)
    .send({ messages: values.map((value, i) => ({ value, partition: i % partitions })) });
  expect(r.status).toBe(201);
}

async function startConsumer(body: Record<string, unknown>): Promise<Consumer> {
  const r = await api().post('/api/consumers').send(body);
  expect(r.status).toBe(201);
  return r.body as Consumer;
}

async function consumer(id: string): Promise<Consumer> {
  const r = await api().get(`/api/consumers/${id}`);
  expect(r.status).toBe(200);
  return r.body as Consumer;
}

async function messagesOf(id: string, after = 0): Promise<Msg[]> {
  const r = await api().get(`/api/consumers/${id}/messages?after=${after}&limit=2000`);
  expect(r.status).toBe(200);
  return r.body.messages as Msg[];
}

/** The seq of the newest timeline event, so later queries see only what follows. */
async function lastEventSeq(): Promise<number> {
  let after = 0;
  for (;;) {
    const r = await api().get(`/api/events?after=${after}&limit=5000`);
    if (r.body.events.length === 0) return after;
    after = r.body.next;
  }
}

async function rebalancesAfter(seq: number, groupId: string): Promise<Rebalance[]> {
  const r = await api().get(`/api/events?after=${seq}&types=group.rebalanced&limit=5000`);
  return (r.body.events as Rebalance[]).filter((e) => e.groupId === groupId);
}

/** Waits until the group's members hold disjoint shares covering every partition, one share each. */
async function balanced(ids: string[], partitions: number): Promise<Consumer[]> {
  return waitFor(`a balanced assignment over ${ids.length} consumers`, async () => {
    const cs = await Promise.all(ids.map(consumer));
    const all = cs.flatMap((c) => partitionsOf(c.assignment)).sort((a, b) => a - b);
    const ok = cs.every((c) => c.state === 'running' && c.assignment.length > 0) && JSON.stringify(all) === JSON.stringify(range(partitions));
    return ok && cs;
  }, 30_000);
}

describe('Lab A: publish/subscribe versus queue', () => {
  const started: string[] = [];
  afterAll(async () => {
    await Promise.all(started.map((id) => api().delete(`/api/consumers/${id}`)));
  });

  it('three consumers without a group each receive every message', async () => {
    const topic = await createTopic(3);
    const cs = await Promise.all(range(3).map((i) => startConsumer({ topics: [topic], name: `solo-${i}` })));
    started.push(...cs.map((c) => c.id));
    expect(new Set(cs.map((c) => c.groupId)).size).toBe(3);
    for (const c of cs) {
      expect(c.state).toBe('running');
      expect(partitionsOf(c.assignment)).toEqual([0, 1, 2]);
    }

    const values = range(7).map((i) => `m${i + 1}`);
    await produce(topic, values, 3);
    for (const c of cs) {
      const got = await waitFor(`consumer ${c.id} to receive all 7`, async () => {
        const m = await messagesOf(c.id);
        return m.length >= values.length && m;
      });
      expect(got.map((m) => m.value).sort()).toEqual([...values].sort());
      expect(got[0]).toMatchObject({ consumerId: c.id, topic, key: null });
    }
  });

  it('three consumers in one group share the partitions: every message reaches exactly one of them', async () => {
    const topic = await createTopic(6);
    const groupId = uniqueName('queue');
    // fromBeginning: a partition that moves in a later rebalance starts at its first message, so
    // nothing produced right after the group settles can slip past its new owner.
    const cs: Consumer[] = [];
    for (const i of range(3)) cs.push(await startConsumer({ topics: [topic], groupId, fromBeginning: true, name: `q-${i}` }));
    started.push(...cs.map((c) => c.id));
    const settled = await balanced(cs.map((c) => c.id), 6);
    for (const c of settled) expect(partitionsOf(c.assignment)).toHaveLength(2);

    const values = range(12).map((i) => `m${i + 1}`);
    await produce(topic, values, 6);
    const per = await waitFor('all 12 messages', async () => {
      const m = await Promise.all(cs.map((c) => messagesOf(c.id)));
      return m.reduce((n, x) => n + x.length, 0) >= values.length && m;
    });
    const all = per.flat().map((m) => m.value).sort();
    expect(all).toEqual([...values].sort());
    per.forEach((msgs, i) => {
      expect(msgs.length).toBeGreaterThan(0);
      const mine = partitionsOf(settled[i].assignment);
      for (const m of msgs) expect(mine).toContain(m.partition);
    });

    // The consumers commit what they showed shortly after (our own OffsetCommit, not kafkajs's): the
    // group's committed offsets reach the end of every partition that has messages.
    const group = await waitFor('the group to commit every message', async () => {
      const r = await api().get(`/api/groups/${groupId}`);
      const offsets = r.body.offsets as Array<{ partition: number; committed: string | null; latest: string; lag: number | null }>;
      return r.status === 200 && offsets.length === 6 && offsets.every((o) => o.latest === '0' || o.lag === 0) && offsets;
    }, 10_000);
    expect(group.reduce((n, o) => n + Number(o.committed ?? 0), 0)).toBe(values.length);
  });
});

describe('Lab B: consumer failover', () => {
  const session = sharedLab().consumerSessionTimeoutMs;
  let topic: string;
  let groupId: string;
  let cs: Consumer[];
  let socket: Socket;
  const pushedMessages: Msg[] = [];
  const pushedRebalances: Array<Rebalance & { at: number }> = [];

  beforeAll(async () => {
    topic = await createTopic(6);
    groupId = uniqueName('failover');
    cs = [];
    for (const i of range(3)) cs.push(await startConsumer({ topics: [topic], groupId, fromBeginning: true, name: `f-${i}` }));
    await balanced(cs.map((c) => c.id), 6);
    socket = await connect();
    socket.on('message', (m: Msg) => pushedMessages.push(m));
    socket.on('rebalance', (e: Rebalance) => pushedRebalances.push({ ...e, at: Date.now() }));
    await subscribe(socket, { consumer: cs[0].id });
    await subscribe(socket, { group: groupId });
  });

  afterAll(async () => {
    socket?.close();
    await Promise.all((cs ?? []).map((c) => api().delete(`/api/consumers/${c.id}`)));
  });

  it('pushes every message a subscribed consumer receives over the socket', async () => {
    await produce(topic, range(6).map((i) => `warm${i}`), 6);
    const polled = await waitFor('consumer 0 to receive its share', async () => {
      const m = await messagesOf(cs[0].id);
      return m.length >= 2 && m;
    });
    await waitFor('the socket pushes', () => pushedMessages.length >= polled.length);
    expect(pushedMessages.slice(0, polled.length).map((m) => m.seq)).toEqual(polled.map((m) => m.seq));
    expect(pushedMessages.every((m) => m.consumerId === cs[0].id)).toBe(true);
  });

  it('a member that stops leaves at once: the survivors get its partitions within seconds', async () => {
    await waitFor('every warm-up message', async () => (await Promise.all(cs.map((c) => messagesOf(c.id)))).flat().length >= 6);
    const gone = await consumer(cs[2].id);
    const goneParts = partitionsOf(gone.assignment);
    expect(goneParts).toHaveLength(2);
    const since = await lastEventSeq();
    // A consumer's seq counts its messages: `received` now is the cursor for what comes after.
    const seqBefore = await Promise.all([cs[0].id, cs[1].id].map(async (id) => (await consumer(id)).received));
    const pushedBefore = pushedRebalances.length;

    const t0 = Date.now();
    const r = await api().post(`/api/consumers/${cs[2].id}/stop`);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('stopped');
    const events = await waitFor('the survivors to take the stopped member\'s partitions', async () => {
      const evs = (await rebalancesAfter(since, groupId)).filter((e) => e.consumerId !== cs[2].id);
      const gained = evs.flatMap((e) => partitionsOf(e.assigned)).sort((a, b) => a - b);
      return goneParts.every((p) => gained.includes(p)) && evs;
    }, 20_000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(5000);
    for (const e of events) expect(e).toMatchObject({ groupId, generation: expect.any(Number), memberId: expect.any(String) });
    // The stopped member's own event revokes what it had.
    const own = (await rebalancesAfter(since, groupId)).filter((e) => e.consumerId === cs[2].id);
    expect(own.flatMap((e) => partitionsOf(e.revoked)).sort()).toEqual(goneParts);
    // The socket pushed the same rebalances (group subscription).
    await waitFor('rebalance pushes', () => pushedRebalances.slice(pushedBefore).some((e) => e.consumerId === cs[0].id || e.consumerId === cs[1].id));

    // A second stop is a conflict, with a sentence.
    const again = await api().post(`/api/consumers/${cs[2].id}/stop`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/not running/);

    // m8..m14 (and more): shared by the two survivors, nothing lost, nothing doubled.
    const survivors = await balanced([cs[0].id, cs[1].id], 6);
    const values = range(12).map((i) => `after-stop-${i}`);
    await produce(topic, values, 6);
    const got = await waitFor('the survivors to receive everything', async () => {
      const per = await Promise.all(survivors.map((c, i) => messagesOf(c.id, seqBefore[i])));
      const vals = per.flat().map((m) => m.value).filter((v) => v?.startsWith('after-stop-'));
      return vals.length >= values.length && vals;
    });
    expect([...got].sort()).toEqual([...values].sort());
  });

  it('a member that is killed is noticed only when the session timeout runs out', async () => {
    const victim = await consumer(cs[1].id);
    const lost = partitionsOf(victim.assignment);
    expect(lost.length).toBeGreaterThan(0);
    const since = await lastEventSeq();
    const before = (await consumer(cs[0].id)).received;

    const t0 = Date.now();
    const r = await api().post(`/api/consumers/${cs[1].id}/kill`);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('killed');
    await waitFor('the survivor to take the killed member\'s partitions', async () => {
      const evs = (await rebalancesAfter(since, groupId)).filter((e) => e.consumerId === cs[0].id);
      const gained = evs.flatMap((e) => partitionsOf(e.assigned));
      return lost.every((p) => gained.includes(p));
    }, session * 3 + 15_000, 50);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(0.8 * session);

    expect((await api().post(`/api/consumers/${cs[1].id}/kill`)).status).toBe(409);
    const survivor = await consumer(cs[0].id);
    expect(partitionsOf(survivor.assignment)).toEqual(range(6));

    const values = range(6).map((i) => `after-kill-${i}`);
    await produce(topic, values, 6);
    const got = await waitFor('the survivor to receive everything', async () => {
      const vals = (await messagesOf(cs[0].id, before)).map((m) => m.value).filter((v) => v?.startsWith('after-kill-'));
      return vals.length >= values.length && vals;
    });
    expect([...got].sort()).toEqual([...values].sort());
  });

  it('answers 404 for an unknown consumer and forgets a deleted one', async () => {
    const r = await api().get('/api/consumers/nosuch00');
    expect(r.status).toBe(404);
    expect(r.body.message).toMatch(/nosuch00/);
    const c = await startConsumer({ topic, name: 'short-lived' });
    expect((await api().delete(`/api/consumers/${c.id}`)).status).toBe(204);
    expect((await api().get(`/api/consumers/${c.id}`)).status).toBe(404);
    const listed = (await api().get('/api/consumers')).body as Consumer[];
    expect(listed.some((x) => x.id === c.id)).toBe(false);
    expect(listed.some((x) => x.id === cs[0].id)).toBe(true);
  });

  it('refuses a consumer on a topic that does not exist', async () => {
    const r = await api().post('/api/consumers').send({ topics: ['no-such-topic-' + Date.now()] });
    expect(r.status).toBe(404);
    expect(r.body.message).toMatch(/does not exist/);
  });
});

describe('Lab B under load: a member stops while messages flow', () => {
  const ids: string[] = [];
  afterAll(async () => {
    await Promise.all(ids.map((id) => api().delete(`/api/consumers/${id}`)));
  });

  it('the group still shows every message produced before, during and after the rebalance', async () => {
    const topic = await createTopic(6);
    const groupId = uniqueName('flowing');
    for (const i of range(3)) ids.push((await startConsumer({ topics: [topic], groupId, fromBeginning: true, name: `flow-${i}` })).id);
    await balanced(ids, 6);
    let n = 0;
    let flowing = true;
    const producer = (async () => {
      while (flowing) {
        await produce(topic, range(12).map(() => `flow-${n++}`), 6);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 2000));
    expect((await api().post(`/api/consumers/${ids[2]}/stop`)).status).toBe(200);
    await balanced(ids.slice(0, 2), 6);
    await new Promise((r) => setTimeout(r, 1500));
    flowing = false;
    await producer;
    const values = range(n).map((i) => `flow-${i}`);
    // Commits go with what each member showed, and a member skips what it showed before a rejoin:
    // neither may cost a message. (Shown twice is measured by bench/handoff.js, not asserted here.)
    const shown = await waitFor('every produced message to be shown by some member', async () => {
      const all = new Set((await Promise.all(ids.map((id) => messagesOf(id)))).flat().map((m) => m.value));
      return values.every((v) => all.has(v)) && all;
    }, 30_000);
    expect(shown.size).toBe(values.length);
  });
});

describe('interop: kcat joins a group of API consumers', () => {
  let kcat: ChildProcess | undefined;
  const ids: string[] = [];
  afterAll(async () => {
    if (kcat?.pid && kcat.exitCode === null) process.kill(kcat.pid, 'SIGTERM');
    await Promise.all(ids.map((id) => api().delete(`/api/consumers/${id}`)));
  });

  it('GET /api/groups/{group} shows three members, one of them foreign, sharing the partitions', async () => {
    expect(kcatAvailable()).toBe(true);
    const topic = await createTopic(6);
    const groupId = uniqueName('mixed');
    for (const i of range(2)) ids.push((await startConsumer({ topics: [topic], groupId, name: `mix-${i}` })).id);
    kcat = spawn('kcat', ['-b', sharedLab().bootstrap.join(','), '-G', groupId, topic, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    kcat.stderr?.on('data', (d) => (stderr += String(d)));

    const group = await waitFor('kcat to join the group', async () => {
      const r = await api().get(`/api/groups/${groupId}`);
      // Kafka 4's group coordinator may list the third member with assignments while it still rebalances.
      if (r.status !== 200 || r.body.members.length !== 3 || r.body.state !== 'Stable') return false;
      const parts = (r.body.members as Array<{ assignment: TP[] }>).flatMap((m) => partitionsOf(m.assignment)).sort((a, b) => a - b);
      return JSON.stringify(parts) === JSON.stringify(range(6)) && r.body;
    }, 60_000).catch((e) => {
      throw new Error(`${(e as Error).message}; kcat said: ${stderr}`);
    });
    expect(group.state).toBe('Stable');
    const foreign = group.members.filter((m: { consumerId: string | null }) => m.consumerId === null);
    expect(foreign).toHaveLength(1);
    expect(group.members.filter((m: { consumerId: string | null }) => m.consumerId !== null).map((m: { consumerId: string }) => m.consumerId).sort()).toEqual([...ids].sort());
    for (const m of group.members) expect(partitionsOf(m.assignment)).toHaveLength(2);
    expect(group.offsets.map((o: { partition: number }) => o.partition).sort()).toEqual(range(6));

    // Each API consumer's own view agrees with the group's.
    for (const id of ids) {
      const mine = group.members.find((m: { consumerId: string | null }) => m.consumerId === id);
      expect(partitionsOf((await consumer(id)).assignment)).toEqual(partitionsOf(mine.assignment));
    }
    const list = (await api().get('/api/groups')).body as Array<{ groupId: string; members: number }>;
    expect(list.find((g) => g.groupId === groupId)?.members).toBe(3);

    process.kill(kcat.pid!, 'SIGTERM');
    await waitFor('kcat to leave the group', async () => (await api().get(`/api/groups/${groupId}`)).body.members?.length === 2, 30_000);
  });

  it('answers 404 for a group that does not exist', async () => {
    const r = await api().get(`/api/groups/${uniqueName('nogroup')}`);
    expect(r.status).toBe(404);
  });
});
