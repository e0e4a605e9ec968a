import { ChildProcess, spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { addStudent, TestStudent } from '../support/class';
import { eventAt, resultOf, waitForPass } from '../support/grading';
import { kcat, kcatAvailable } from '../support/kcat';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

/**
 * A student's own Kafka clients, which the server does not run: kcat -G members in a group named in the
 * student's namespace (`s-<id>.<name>` on the cluster; over the loopback listener here, which needs no
 * credentials) show in the student's group view and on their timeline, and count for grading like the
 * student's API consumers: two of them share a topic (load-sharing), one is killed and the other takes
 * its partition (consumer-failover). What kcat -P writes shows as written (the topic's offsets moving).
 */

interface TP { topic: string; partitions: number[] }
interface Member { memberId: string; clientId: string; consumerId: string | null; external?: boolean; clientHost?: string; assignment: TP[] }
interface Ev { seq: number; type: string; consumerId?: string; groupId?: string; [k: string]: unknown }

const partitionsOf = (ms: Member[]) => ms.flatMap((m) => m.assignment.flatMap((tp) => tp.partitions)).sort((a, b) => a - b);

describe('external clients: kcat -G members of a student\'s group', () => {
  const kcats: ChildProcess[] = [];
  let ada: TestStudent;
  let bob: TestStudent;
  const topic = uniqueName('kcat-t');
  const group = uniqueName('kcat-g');
  const stderr = new Map<ChildProcess, string>();

  /** A kcat -G member of Ada's group, reading her topic, committing every half second; dead within 6 s once killed. */
  function startKcat(groupName = group, topics = [topic]): ChildProcess {
    const k = spawn(
      'kcat',
      [
        '-b', sharedLab().bootstrap.join(','), '-q',
        '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=500', '-X', 'session.timeout.ms=6000',
        '-G', `s-${ada.id}.${groupName}`, ...topics.map((t) => `s-${ada.id}.${t}`),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    stderr.set(k, '');
    k.stderr?.on('data', (d) => stderr.set(k, stderr.get(k) + String(d)));
    kcats.push(k);
    return k;
  }

  const said = () => [...stderr.values()].filter(Boolean).join('\n---\n') || '(nothing)';

  /** Ada's view of her group once `pred` holds. */
  function groupWhen(what: string, pred: (members: Member[]) => boolean, timeoutMs = 60_000) {
    return waitFor(what, async () => {
      const r = await api(ada.token).get(`/api/groups/${group}`);
      return r.status === 200 && r.body.state === 'Stable' && pred(r.body.members) && (r.body as { owner: string; members: Member[] });
    }, timeoutMs, 250).catch((e) => {
      throw new Error(`${(e as Error).message}; kcat said: ${said()}`);
    });
  }

  async function adasEvents(types: string[]): Promise<Ev[]> {
    const out: Ev[] = [];
    for (let after = 0; ;) {
      const r = await api(ada.token).get(`/api/events?after=${after}&limit=5000&types=${types.join(',')}`).expect(200);
      if (r.body.events.length === 0) return out;
      out.push(...r.body.events);
      after = r.body.next;
    }
  }

  async function produce(count: number, from: number): Promise<void> {
    const messages = Array.from({ length: count }, (_, i) => ({ value: `m-${from + i}`, partition: i % 2 }));
    expect((await api(ada.token).post(`/api/topics/${topic}/messages`).send({ messages })).status).toBe(201);
  }

  beforeAll(async () => {
    ada = await addStudent('Kcat Ada');
    bob = await addStudent('Kcat Bob');
    expect((await api(ada.token).post('/api/topics').send({ name: topic, partitions: 2, replicationFactor: 3 })).status).toBe(201);
  });

  afterAll(() => {
    // SIGKILL: a kcat -G closing (SIGTERM) can wait for a coordinator forever once the cluster is stopped, and keep jest from exiting.
    for (const k of kcats) if (k.pid && k.exitCode === null && k.signalCode === null) process.kill(k.pid, 'SIGKILL');
  });

  it('a kcat member shows in the student\'s group view as theirs, and on their timeline (not on another student\'s)', async () => {
    expect(kcatAvailable()).toBe(true);
    startKcat();
    const view = await groupWhen('kcat to hold both partitions', (ms) => ms.length === 1 && partitionsOf(ms).join() === '0,1');
    expect(view.owner).toBe(ada.id);
    expect(view.members[0]).toMatchObject({ consumerId: null, external: true, clientId: 'rdkafka', clientHost: expect.stringMatching(/^127\.0\.0\.1$|^::1$|localhost/), assignment: [{ topic, partitions: [0, 1] }] });

    const started = await waitFor('the kcat member on Ada\'s timeline', async () => (await adasEvents(['consumer.started'])).find((e) => e.groupId === group && e.external === true), 15_000, 250);
    expect(started).toMatchObject({ consumerId: expect.stringMatching(/^x-[0-9a-f]{8}$/), actor: ada.id, protocol: 'classic', topics: [topic], clientId: 'rdkafka' });
    const rebalanced = (await adasEvents(['group.rebalanced'])).filter((e) => e.consumerId === started.consumerId);
    expect(rebalanced[0]).toMatchObject({ groupId: group, assigned: [{ topic, partitions: [0, 1] }], revoked: [], generation: null, external: true });

    // Bob sees neither the group nor its member's events.
    expect((await api(bob.token).get(`/api/groups/s-${ada.id}.${group}`)).status).toBe(404);
    const bobs = (await api(bob.token).get('/api/events?types=consumer.started,group.rebalanced&limit=5000').expect(200)).body.events as Ev[];
    expect(bobs.filter((e) => e.consumerId === started.consumerId)).toEqual([]);
  });

  it('two kcat members share the topic (load-sharing); one killed, the other takes its partition and reads on (consumer-failover)', async () => {
    const second = startKcat();
    const view = await groupWhen('a second kcat member to get a partition', (ms) => ms.length === 2 && ms.every((m) => partitionsOf([m]).length === 1));
    expect(view.members.every((m) => m.external && m.consumerId === null)).toBe(true);
    // The watcher looks every 2 s: commits made between a look before the rebalance and the next are
    // counted to the member that held the partition at the earlier look (it cannot tell who read them).
    // So the messages come once the watcher has seen each member hold one partition.
    await waitFor('the watcher to see each kcat member hold one partition', async () => {
      const owned = new Map<string, number>();
      for (const e of await adasEvents(['group.rebalanced'])) {
        if (e.groupId === group && e.external === true) owned.set(e.consumerId as string, ((e.owned ?? []) as Array<{ partitions: number[] }>).reduce((n, tp) => n + tp.partitions.length, 0));
      }
      return owned.size === 2 && [...owned.values()].every((n) => n === 1);
    }, 30_000, 250);
    await produce(20, 0);
    const shared = await waitForPass(ada.id, 'load-sharing', sharedLab().token, 45_000);
    const evidence = resultOf(shared, 'load-sharing').evidence!;
    expect(evidence.consumers.every((c) => /^x-[0-9a-f]{8}$/.test(c))).toBe(true);
    // Its events read back, receipts of the two kcat members among them (their messages are kcat's own: the API keeps none).
    const cited = await Promise.all(evidence.events.map((seq) => eventAt(seq)));
    expect(cited.filter((e) => e?.type === 'messages.consumed').map((e) => e!.consumerId).sort()).toEqual(expect.arrayContaining([...evidence.consumers].sort()));

    // The second one dies without leaving (SIGKILL): the group gives its partition to the first after the session timeout.
    process.kill(second.pid!, 'SIGKILL');
    await groupWhen('the survivor to hold both partitions', (ms) => ms.length === 1 && partitionsOf(ms).join() === '0,1', 60_000);
    await produce(10, 20);
    const failover = await waitForPass(ada.id, 'consumer-failover', sharedLab().token, 45_000);
    expect(resultOf(failover, 'consumer-failover').evidence!.consumers).toHaveLength(2);

    const mine = await adasEvents(['consumer.stopped']);
    expect(mine.some((e) => e.groupId === group && e.external === true)).toBe(true);
  });

  it('what kcat -P writes to the student\'s topic shows as written, on their timeline only (offsets moving)', async () => {
    const quiet = uniqueName('kcat-p');
    expect((await api(ada.token).post('/api/topics').send({ name: quiet, partitions: 1, replicationFactor: 3 })).status).toBe(201);
    await kcat(['-b', sharedLab().bootstrap.join(','), '-P', '-t', `s-${ada.id}.${quiet}`, '-p', '0'], 'a\nb\nc\nd\ne\n');
    const written = await waitFor('the writes on Ada\'s timeline', async () => (await adasEvents(['messages.produced'])).find((e) => e.topic === quiet), 30_000, 250);
    expect(written).toMatchObject({ actor: ada.id, count: 5, partitions: { '0': 5 }, offsets: { '0': [['0', '4']] }, external: true });
    const bobs = (await api(bob.token).get('/api/events?types=messages.produced&limit=5000').expect(200)).body.events as Ev[];
    expect(bobs.filter((e) => String(e.topic).includes(quiet))).toEqual([]);
  });

  it('a topic deleted outside the API (not through the server) does not stop the watcher reading a kcat group\'s commits', async () => {
    const [gone, kept, g] = [uniqueName('kcat-gone'), uniqueName('kcat-kept'), uniqueName('kcat-g2')];
    for (const name of [gone, kept]) expect((await api(ada.token).post('/api/topics').send({ name, partitions: 1, replicationFactor: 3 })).status).toBe(201);
    const k = startKcat(g, [gone, kept]);
    const consumedUpTo = async (t: string) => {
      const evs = (await adasEvents(['messages.consumed'])).filter((e) => e.groupId === g && e.topic === t && e.external === true);
      return Math.max(-1, ...evs.flatMap((e) => ((e.offsets as Record<string, Array<[string, string]>>)['0'] ?? []).map(([, last]) => Number(last))));
    };
    const write = async (t: string, n: number) => expect((await api(ada.token).post(`/api/topics/${t}/messages`).send({ messages: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) })).status).toBe(201);
    await write(gone, 3);
    await write(kept, 3);
    // The watcher has read the group's commits of both topics (kafkajs's admin now has both among its metadata targets).
    for (const t of [gone, kept]) await waitFor(`kcat's reading of ${t} on Ada's timeline`, async () => (await consumedUpTo(t)) >= 2, 30_000, 250).catch((e) => { throw new Error(`${(e as Error).message}; kcat said: ${said()}`); });

    // A student's kafka-topics.sh --delete: here an admin of the test's own on the loopback listener.
    const admin = new Kafka({ clientId: 'e2e-outside', brokers: sharedLab().bootstrap, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [`s-${ada.id}.${gone}`], timeout: 15_000 });
    } finally {
      await admin.disconnect();
    }
    await write(kept, 4);
    await waitFor('kcat\'s reading of the kept topic after the delete', async () => (await consumedUpTo(kept)) >= 6, 30_000, 250).catch((e) => { throw new Error(`${(e as Error).message}; kcat said: ${said()}`); });
    process.kill(k.pid!, 'SIGKILL');
  });

  it('a student\'s topic made outside the API over a class quota is deleted by the server, saying which quota; one within the quotas stays', async () => {
    const [wide, fits] = [uniqueName('wide'), uniqueName('fits')];
    const quotas = (await api(sharedLab().token).get('/api/class').expect(200)).body.quotas as { partitionsPerTopic: number };
    // A student's kafka-topics.sh --create over the class listener: here an admin of the test's own on the loopback listener.
    const admin = new Kafka({ clientId: 'e2e-outside', brokers: sharedLab().bootstrap, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: `s-${ada.id}.${wide}`, numPartitions: quotas.partitionsPerTopic + 1, replicationFactor: 1 }, { topic: `s-${ada.id}.${fits}`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const deleted = await waitFor('the server to delete the topic over partitionsPerTopic', async () => (await api(ada.token).get('/api/events?types=topic.deleted&limit=5000').expect(200)).body.events.find((e: Ev) => e.topic === wide), 60_000, 500);
    expect(deleted).toMatchObject({ actor: 'system', partitions: quotas.partitionsPerTopic + 1, reason: expect.stringContaining(`quota partitionsPerTopic = ${quotas.partitionsPerTopic}`) });
    expect((await api(ada.token).get(`/api/topics/${wide}`)).status).toBe(404);
    expect((await api(ada.token).get(`/api/topics/${fits}`)).status).toBe(200);
  });
});
