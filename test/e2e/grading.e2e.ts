import { addStudent, TestStudent } from '../support/class';
import { parseCsv } from '../support/csv';
import { balanced, range } from '../support/consumers';
import { eventMark } from '../support/events';
import { api, sharedLab, waitFor } from '../support/lab';
import { subscribe, watchedSocket, WatchedSocket } from '../support/socket';
import {
  CHECKPOINT_IDS, CheckpointId, checkEvidence, expectNotPassed, GradingReport, passedIds, ReadEvent, reportOf, resultOf, waitForPass,
} from '../support/grading';

/**
 * Grading on the shared server: Ada goes through Labs A to D with her own token and each checkpoint
 * passes at the step that earns it, with evidence that reads back as real events and received
 * messages; the broker she goes through is killed by the INSTRUCTOR. Before the real steps she tries
 * to game pub-sub and load-sharing; Idle does nothing and passes nothing. The CSV, the refusals and
 * the `progress` pushes are checked against what she passed.
 */

const TOPIC = 'failsafe-test-topic';
const PARTITIONS = 4;

interface Pushed {
  studentId: string;
  checkpoint: string;
  evidence: unknown;
  seq: number;
}

describe('grading: a student through Labs A to D, checkpoint by checkpoint', () => {
  let ada: TestStudent;
  let idle: TestStudent;
  const sockets: WatchedSocket[] = [];
  const pushed = new Map<string, Pushed[]>();
  const consumers: string[] = [];
  /** The broker the instructor killed, until it runs again. */
  let killed: number | null = null;
  /** How many messages Ada wrote to her topic, per partition. */
  const written = new Map<number, number>();
  /** What one step leaves for the next: the three of Ada's group. */
  const state: { group: string[] } = { group: [] };
  const as = () => api(ada.token);

  const produce = async (values: Array<{ value: string; partition: number }>): Promise<Array<{ partition: number; offset: string }>> => {
    const r = await as().post(`/api/topics/${TOPIC}/messages`).send({ messages: values });
    expect(r.status).toBe(201);
    for (const v of values) written.set(v.partition, (written.get(v.partition) ?? 0) + 1);
    return r.body.results;
  };
  /** Two messages per partition of Ada's topic. */
  const twoEach = (prefix: string) => range(PARTITIONS * 2).map((i) => ({ value: `${prefix}-${i}`, partition: i % PARTITIONS }));
  const start = async (body: Record<string, unknown>): Promise<string> => {
    const r = await as().post('/api/consumers').send(body);
    expect([r.status, r.body]).toEqual([201, expect.objectContaining({ id: expect.any(String) })]);
    consumers.push(r.body.id);
    return r.body.id as string;
  };
  /**
   * Starts a consumer while a broker is down. On this 2-core machine a broker's replica or metadata
   * fetching sometimes stalls for many seconds, and Kafka then has a partition that is really without a
   * leader, or a broker that still answers with old metadata: the server says so with a retriable 503
   * ("no leader right now ... try again when one of them is back"). A student would ask again, and after
   * a while bring the broker back, as Lab C's last step does; so does this, and says so. Any other status
   * fails at once.
   */
  const startWhileDown = async (body: Record<string, unknown>): Promise<string> => {
    let refusal: { status: number; body: unknown } | null = null;
    const tryStart = async () => {
      const res = await as().post('/api/consumers').send(body);
      if (res.status !== 503) return res;
      refusal = { status: res.status, body: res.body };
      return null;
    };
    const r = await waitFor('a consumer to start with the broker down', tryStart, 30_000, 1000).catch(async () => {
      process.stdout.write(`% grading.e2e: no consumer could start with broker ${killed} down (${JSON.stringify(refusal)}); it is started again first\n`);
      await clusterWhole(false);
      return waitFor('a consumer to start with every broker back', tryStart, 60_000, 1000);
    });
    expect([r.status, r.body]).toEqual([201, expect.objectContaining({ id: expect.any(String) })]);
    consumers.push(r.body.id);
    return r.body.id as string;
  };
  const stop = async (id: string) => expect((await as().post(`/api/consumers/${id}/stop`)).status).toBe(200);
  const received = async (id: string): Promise<Array<{ topic: string; partition: number; offset: string; value: string }>> => {
    const r = await as().get(`/api/consumers/${id}/messages?after=0&limit=2000`);
    expect(r.status).toBe(200);
    return r.body.messages;
  };
  /** Waits until Ada's timeline holds a messages.consumed of each consumer, so the engine has them. */
  const consumedOnTimeline = (ids: string[]) =>
    waitFor(`messages.consumed of ${ids.join(', ')} on Ada's timeline`, async () => {
      const r = await as().get('/api/events?types=messages.consumed&limit=5000');
      const evs = r.body.events as ReadEvent[];
      return ids.every((id) => evs.some((e) => e.consumerId === id));
    }, 30_000, 250);
  const clusterWhole = async (forget = true) => {
    const c = (await api().get('/api/cluster').expect(200)).body;
    for (const b of c.brokers) if (b.state !== 'running') await api().post(`/api/cluster/nodes/${b.id}/start`);
    await waitFor('every broker running and every replica of Ada\'s topic in sync again', async () => {
      const cl = (await api().get('/api/cluster')).body;
      if (!cl.brokers.every((b: { state: string }) => b.state === 'running')) return false;
      const t = await api().get(`/api/topics/s-${ada.id}.${TOPIC}`);
      return t.status !== 200 || t.body.partitions.every((p: { isr: number[]; replicas: number[] }) => p.isr.length === p.replicas.length);
    }, 120_000, 500);
    if (forget) killed = null;
  };

  beforeAll(async () => {
    ada = await addStudent('Ada');
    // A comma and quotes in the name: the CSV must quote it.
    idle = await addStudent('Idle, "quiet"');
    for (const [key, token] of [['ada', ada.token], ['idle', idle.token], ['instructor', sharedLab().token]]) {
      const w = await watchedSocket(token);
      const list: Pushed[] = [];
      w.socket.on('progress', (e: Pushed) => list.push(e));
      await subscribe(w.socket, { progress: true });
      sockets.push(w);
      pushed.set(key, list);
    }
  });

  afterAll(async () => {
    for (const w of sockets) w.socket.close();
    if (killed !== null && ada) await clusterWhole();
    await Promise.all(consumers.map((id) => api().delete(`/api/consumers/${id}`)));
    for (const s of [ada, idle]) if (s) await api().delete(`/api/students/${s.id}?purge=true`);
  });

  /** Exactly these passed now, in CHECKPOINTS order. */
  const expectPassedNow = (r: GradingReport, ids: CheckpointId[]) => {
    expect(passedIds(r)).toEqual(CHECKPOINT_IDS.filter((c) => ids.includes(c)));
    expectNotPassed(r, ...CHECKPOINT_IDS.filter((c) => !ids.includes(c)));
  };

  it('passes none while gaming: the same value produced twice (different offsets) to two groups, one consumer alone in a group, replication factor 1', async () => {
    // Done first, so these events lie before every real step's: the engine folds the timeline in seq
    // order, so when a later step passes, these were judged, and the evidence must not name them.
    const decoys: string[] = [];
    for (const name of ['dup-a', 'dup-b']) {
      expect((await as().post('/api/topics').send({ name, partitions: 1, replicationFactor: 1 })).status).toBe(201);
    }
    const x = await start({ topic: 'dup-a', groupId: 'gx', fromBeginning: true, name: 'x' });
    const y = await start({ topic: 'dup-b', groupId: 'gy', fromBeginning: true, name: 'y' });
    decoys.push(x, y);
    // "same" at offsets 0 and 1 of dup-a and offset 0 of dup-b: the same value, never the same message.
    expect((await as().post('/api/topics/dup-a/messages').send({ messages: [{ value: 'same' }, { value: 'same' }] })).status).toBe(201);
    expect((await as().post('/api/topics/dup-b/messages').send({ value: 'same' })).status).toBe(201);
    await waitFor('x and y to receive "same"', async () => (await received(x)).length === 2 && (await received(y)).length === 1, 30_000);
    await consumedOnTimeline(decoys);
    const r = await reportOf(ada.id, ada.token);
    expectPassedNow(r, []);
    expect(r.student).toMatchObject({ id: ada.id, name: ada.name, checkpoints: [] });
    for (const id of decoys) await stop(id);
  });

  it('Lab A: replicated-topic, then pub-sub, then load-sharing, each at its step, with evidence that reads back', async () => {
    // 1. failsafe-test-topic: 4 partitions, replication factor 3.
    const created = await as().post('/api/topics').send({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    expect(created.status).toBe(201);
    let r = await waitForPass(ada.id, 'replicated-topic', ada.token);
    expectPassedNow(r, ['replicated-topic']);
    const topicEvents = await checkEvidence(resultOf(r, 'replicated-topic'), ['topic.created'], ada.token);
    expect(topicEvents.find((e) => e.type === 'topic.created')).toMatchObject({ topic: TOPIC, actor: ada.id });
    expect(topicEvents.some((e) => e.topic === 'dup-a' || e.topic === 'dup-b')).toBe(false);
    expect(resultOf(r, 'replicated-topic').evidence!.topics).toEqual([TOPIC]);

    // 2. Two consumers without a group (each a group of its own) both receive every message.
    const p1 = await start({ topic: TOPIC, fromBeginning: true, name: 'p1' });
    const p2 = await start({ topic: TOPIC, fromBeginning: true, name: 'p2' });
    await produce(range(3).map((i) => ({ value: `p${i + 1}`, partition: i })));
    r = await waitForPass(ada.id, 'pub-sub', ada.token);
    expectPassedNow(r, ['replicated-topic', 'pub-sub']);
    const pubSub = resultOf(r, 'pub-sub');
    await checkEvidence(pubSub, ['messages.consumed'], ada.token);
    expect([...pubSub.evidence!.consumers].sort()).toEqual([p1, p2].sort());
    // The very same message (topic, partition, offset) received by both.
    const where = (m: { topic: string; partition: number; offset: string }) => `${m.topic}/${m.partition}@${m.offset}`;
    const byPlace = new Map<string, Set<string>>();
    for (const m of pubSub.evidence!.messages) byPlace.set(where(m), (byPlace.get(where(m)) ?? new Set()).add(m.consumerId));
    expect([...byPlace.values()].some((who) => who.size === 2)).toBe(true);
    for (const m of pubSub.evidence!.messages) expect(m.topic).toBe(TOPIC);
    await stop(p1);
    await stop(p2);

    // 3. Three consumers of one group share the partitions; none gets a message another got.
    const group = [await start({ topic: TOPIC, groupId: 'test-group', name: 'g1' })];
    group.push(await start({ topic: TOPIC, groupId: 'test-group', name: 'g2' }), await start({ topic: TOPIC, groupId: 'test-group', name: 'g3' }));
    await balanced(group, PARTITIONS, 60_000);
    await produce(twoEach('queue'));
    r = await waitForPass(ada.id, 'load-sharing', ada.token);
    expectPassedNow(r, ['replicated-topic', 'pub-sub', 'load-sharing']);
    const sharing = resultOf(r, 'load-sharing');
    await checkEvidence(sharing, ['messages.consumed'], ada.token);
    expect(sharing.evidence!.consumers.length).toBeGreaterThanOrEqual(2);
    for (const id of sharing.evidence!.consumers) expect(group).toContain(id);
    const places = sharing.evidence!.messages.map(where);
    expect(new Set(places).size).toBe(places.length);
    expect(new Set(sharing.evidence!.messages.map((m) => m.consumerId)).size).toBeGreaterThanOrEqual(2);
    state.group = group;
  });

  it('Lab B: consumer-failover when a member stops and a survivor reads its partitions', async () => {
    const [g1, ...survivors] = state.group;
    const owned = (await api().get(`/api/consumers/${g1}`).expect(200)).body.assignment.flatMap((a: { partitions: number[] }) => a.partitions) as number[];
    expect(owned.length).toBeGreaterThan(0);
    await stop(g1);
    await balanced(survivors, PARTITIONS, 60_000);
    await produce(twoEach('after-g1'));
    const r = await waitForPass(ada.id, 'consumer-failover', ada.token);
    expectPassedNow(r, ['replicated-topic', 'pub-sub', 'load-sharing', 'consumer-failover']);
    const failover = resultOf(r, 'consumer-failover');
    const evs = await checkEvidence(failover, ['consumer.stopped', 'group.rebalanced', 'messages.consumed'], ada.token);
    expect(evs.find((e) => e.type === 'consumer.stopped')).toMatchObject({ consumerId: g1 });
    const rebalance = evs.find((e) => e.type === 'group.rebalanced')!;
    expect(survivors).toContain(rebalance.consumerId);
    // A survivor read a partition g1 owned when it stopped.
    const proof = failover.evidence!.messages.filter((m) => survivors.includes(m.consumerId) && owned.includes(m.partition));
    expect(proof.length).toBeGreaterThan(0);
  });

  it('Lab C: broker-failover when the INSTRUCTOR kills a leader and Ada\'s consumers read what was written meanwhile', async () => {
    const survivors = state.group.slice(1);
    const before = (await api().get(`/api/topics/s-${ada.id}.${TOPIC}`).expect(200)).body;
    killed = before.partitions[0].leader as number;
    const led = before.partitions.filter((p: { leader: number }) => p.leader === killed).map((p: { partition: number }) => p.partition) as number[];
    const mark = await eventMark();
    await api().post(`/api/cluster/nodes/${killed}/kill`).expect(200);
    // Kafka moves the leaders when the broker's session runs out; Ada sees it on her topic.
    await waitFor(`new leaders for partitions ${led.join(', ')} of Ada's topic`, async () => {
      const evs = (await as().get(`/api/events?after=${mark}&types=partition.leader-changed&limit=5000`)).body.events as ReadEvent[];
      return led.every((p) => evs.some((e) => e.topic === TOPIC && e.partition === p && e.from === killed && e.to !== null));
    }, 60_000, 250);
    const results = await produce(twoEach('while-down'));
    const writtenWhileDown = new Set(results.map((x) => `${x.partition}@${x.offset}`));
    const r = await waitForPass(ada.id, 'broker-failover', ada.token, 60_000);
    expectPassedNow(r, ['replicated-topic', 'pub-sub', 'load-sharing', 'consumer-failover', 'broker-failover']);
    const bf = resultOf(r, 'broker-failover');
    const evs = await checkEvidence(bf, ['node.killed', 'partition.leader-changed', 'messages.produced', 'messages.consumed'], ada.token);
    expect(bf.evidence!.nodes).toContain(killed);
    expect(evs.find((e) => e.type === 'node.killed')).toMatchObject({ nodeId: killed, actor: 'instructor' });
    expect(evs.filter((e) => e.type === 'partition.leader-changed').every((e) => e.topic === TOPIC && e.from === killed)).toBe(true);
    // The proof: messages written while the broker was down, on a partition it led, read by a survivor.
    expect(bf.evidence!.messages.length).toBeGreaterThan(0);
    for (const m of bf.evidence!.messages) {
      expect(m.topic).toBe(TOPIC);
      expect(survivors).toContain(m.consumerId);
      expect(led).toContain(m.partition);
      expect(writtenWhileDown).toContain(`${m.partition}@${m.offset}`);
    }
  });

  it('Lab D: no-data-loss when a new consumer reads the topic from the beginning after the broker went down', async () => {
    expect(killed).not.toBeNull();
    const total = [...written.values()].reduce((a, b) => a + b, 0);
    const reader = await startWhileDown({ topic: TOPIC, fromBeginning: true, name: 'reader' });
    const got = await waitFor(`the reader to get all ${total} messages`, async () => {
      const ms = await received(reader);
      return ms.length >= total && ms;
    }, 60_000);
    expect(new Set(got.map((m) => `${m.partition}@${m.offset}`)).size).toBe(total);
    const r = await waitForPass(ada.id, 'no-data-loss', ada.token);
    expectPassedNow(r, ['replicated-topic', 'pub-sub', 'load-sharing', 'consumer-failover', 'broker-failover', 'no-data-loss']);
    const ndl = resultOf(r, 'no-data-loss');
    const evs = await checkEvidence(ndl, ['node.killed', 'messages.consumed'], ada.token);
    expect(ndl.evidence!.consumers).toContain(reader);
    expect(ndl.evidence!.nodes).toContain(killed);
    expect(evs.filter((e) => e.type === 'messages.consumed').every((e) => e.consumerId === reader)).toBe(true);
    // Per partition what had been written, all of it received.
    const produced = ndl.evidence!.produced!;
    expect(Object.values(produced).reduce((a, b) => a + b, 0)).toBe(total);
    for (const m of ndl.evidence!.messages) expect(m.consumerId).toBe(reader);
    await stop(reader);
    await clusterWhole();
  });

  it('Idle passed nothing, not even broker-failover; she reads only her own report', async () => {
    const r = await reportOf(idle.id, idle.token);
    expect(r.student).toMatchObject({ id: idle.id, name: idle.name, checkpoints: [] });
    expect(r.checkpoints.map((c) => c.id)).toEqual(CHECKPOINT_IDS);
    expectNotPassed(r, ...CHECKPOINT_IDS);
    expect(await reportOf(idle.id)).toEqual(r);

    // Another student's report answers as an unknown one does; the class's grades are the instructor's.
    for (const id of [ada.id, 'zzzzzz']) {
      const other = await api(idle.token).get(`/api/grading/${id}`);
      expect(other.status).toBe(404);
      expect(other.body.message).toBe(`There is no student ${id}.`);
    }
    const unknown = await api().get('/api/grading/zzzzzz');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('There is no student zzzzzz.');
    for (const path of ['/api/grading', '/api/grading?format=csv']) expect((await api(ada.token).get(path)).status).toBe(403);
    const bad = await api().get('/api/grading?format=xml');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/format/);
  });

  it('the instructor\'s JSON and CSV agree with Ada\'s report, in the instructor\'s names', async () => {
    const mine = await reportOf(ada.id, ada.token);
    const theirs = await reportOf(ada.id);
    expect(passedIds(theirs)).toEqual(passedIds(mine));
    // The same evidence, with Ada's names for her and the cluster's for the instructor.
    const topicsOf = (r: GradingReport) => [...new Set(resultOf(r, 'pub-sub').evidence!.messages.map((m) => m.topic))];
    expect(topicsOf(theirs)).toEqual([`s-${ada.id}.${TOPIC}`]);
    expect(topicsOf(mine)).toEqual([TOPIC]);
    expect(resultOf(theirs, 'pub-sub').evidence!.events).toEqual(resultOf(mine, 'pub-sub').evidence!.events);

    const all = (await api().get('/api/grading').expect(200)).body as GradingReport[];
    expect(all.find((x) => x.student.id === ada.id)).toEqual(theirs);
    expect(all.find((x) => x.student.id === idle.id)!.checkpoints.every((c) => !c.passed)).toBe(true);
    for (const x of all) expect(x.checkpoints.map((c) => c.id)).toEqual(CHECKPOINT_IDS);
    // The roster says the same.
    const roster = (await api().get('/api/students').expect(200)).body as Array<{ id: string; checkpoints: string[] }>;
    expect(roster.find((s) => s.id === ada.id)!.checkpoints).toEqual(passedIds(theirs));

    const csv = await api().get('/api/grading?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parseCsv(csv.text);
    expect(rows[0]).toEqual(['student', 'name', ...CHECKPOINT_IDS]);
    const body = rows.slice(1);
    expect(body.map((row) => row[0])).toEqual(all.map((x) => x.student.id));
    for (const row of body) {
      expect(row).toHaveLength(2 + CHECKPOINT_IDS.length);
      for (const cell of row.slice(2)) expect(['true', 'false']).toContain(cell);
    }
    const adaRow = body.find((row) => row[0] === ada.id)!;
    expect(adaRow).toEqual([ada.id, ada.name, ...theirs.checkpoints.map((c) => String(c.passed))]);
    expect(body.find((row) => row[0] === idle.id)).toEqual([idle.id, idle.name, ...CHECKPOINT_IDS.map(() => 'false')]);
    // RFC 4180: a name with a comma is quoted, its quotes doubled.
    expect(csv.text).toContain(`${idle.id},"${idle.name.replace(/"/g, '""')}",`);
  });

  it('checkpoint.passed once per checkpoint on Ada\'s timeline, pushed as progress to her and the instructor, never to Idle', async () => {
    const passed = passedIds(await reportOf(ada.id, ada.token));
    expect(passed).toHaveLength(6);
    const evs = (await as().get('/api/events?types=checkpoint.passed&limit=5000').expect(200)).body.events as ReadEvent[];
    expect(evs.map((e) => e.checkpoint).sort()).toEqual([...passed].sort());
    for (const e of evs) expect(e).toMatchObject({ actor: 'system', studentId: ada.id });

    const toAda = await waitFor('Ada\'s six progress pushes', () => {
      const l = pushed.get('ada')!;
      return l.length >= 6 && l;
    }, 10_000);
    expect(toAda.map((e) => e.checkpoint).sort()).toEqual([...passed].sort());
    expect(toAda.every((e) => e.studentId === ada.id)).toBe(true);
    // What was pushed is what is stored: the same seqs and, in her names, the same evidence.
    for (const e of toAda) expect(evs.find((x) => x.seq === e.seq)).toEqual(e);
    const toInstructor = await waitFor('the instructor\'s pushes of Ada\'s passes', () => {
      const l = pushed.get('instructor')!.filter((e) => e.studentId === ada.id);
      return l.length >= 6 && l;
    }, 10_000);
    expect(toInstructor.map((e) => e.seq).sort()).toEqual(toAda.map((e) => e.seq).sort());
    expect(pushed.get('idle')).toEqual([]);
    for (const w of sockets) expect(w.errors).toEqual([]);
  });
});
