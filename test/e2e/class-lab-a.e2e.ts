import type { Socket } from 'socket.io-client';
import { addStudent, TestStudent } from '../support/class';
import { eventMark } from '../support/events';
import { kcat } from '../support/kcat';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { connect, subscribe } from '../support/socket';

/**
 * Class namespaces on the shared cluster: two students run Lab A at the same time with the SAME topic
 * and group names, and neither sees the other; the instructor sees both, by the cluster's names and
 * with owners; a shared topic (the instructor's) is theirs to read and write, not to delete.
 */

interface TP { topic: string; partitions: number[] }
interface Consumer { id: string; owner: string; groupId: string; topics: string[]; state: string; assignment: TP[] }
interface Msg { seq: number; consumerId: string; topic: string; partition: number; value: string | null }
interface Ev { seq: number; type: string; actor: string; [k: string]: any }

const TOPIC = 'failsafe-test-topic';
const GROUP = 'test-group';
/** A second topic of Ada's, for a share group. */
const JOBS = 'jobs';
const PARTITIONS = 4;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const partitionsOf = (a: TP[]) => a.flatMap((tp) => tp.partitions).sort((x, y) => x - y);

/** One student at work: their token, their socket and what it pushed, the consumers they started. */
interface Desk {
  who: TestStudent;
  socket: Socket;
  pushed: Array<{ channel: string; body: any }>;
  /** Every consumer they started (deleted at the end). */
  consumers: string[];
  /** The three of their group. */
  group: string[];
}

const as = (d: Desk | TestStudent) => api('who' in d ? d.who.token : d.token);

async function events(d: Desk, after: number, types?: string): Promise<Ev[]> {
  const r = await as(d).get(`/api/events?after=${after}&limit=5000${types ? `&types=${types}` : ''}`);
  expect(r.status).toBe(200);
  return r.body.events as Ev[];
}

async function viewOf(d: Desk, id: string): Promise<Consumer> {
  const r = await as(d).get(`/api/consumers/${id}`);
  expect(r.status).toBe(200);
  return r.body as Consumer;
}

async function messagesOf(d: Desk, id: string): Promise<Msg[]> {
  const r = await as(d).get(`/api/consumers/${id}/messages?after=0&limit=2000`);
  expect(r.status).toBe(200);
  return r.body.messages as Msg[];
}

async function balanced(d: Desk): Promise<Consumer[]> {
  return waitFor(`${d.who.name}'s group to share the ${PARTITIONS} partitions`, async () => {
    const cs = await Promise.all(d.group.map((id) => viewOf(d, id)));
    const all = cs.flatMap((c) => partitionsOf(c.assignment)).sort((a, b) => a - b);
    return cs.every((c) => c.state === 'running' && c.assignment.length > 0) && JSON.stringify(all) === JSON.stringify(range(PARTITIONS)) && cs;
  }, 60_000);
}

describe('class namespaces: two students run Lab A at once with the same names', () => {
  const desks: Desk[] = [];
  let ada: Desk;
  let shared = '';
  let mark = 0;

  beforeAll(async () => {
    for (const name of ['Ada', 'Bob']) {
      const who = await addStudent(name);
      const socket = await connect(who.token);
      const d: Desk = { who, socket, pushed: [], consumers: [], group: [] };
      for (const channel of ['event', 'rebalance', 'message']) socket.on(channel, (body: unknown) => d.pushed.push({ channel, body }));
      // Everything the student may see, as it happens.
      await subscribe(socket, { events: true });
      desks.push(d);
    }
    ada = desks[0];
    mark = await eventMark();
  });

  afterAll(async () => {
    for (const d of desks) {
      d.socket.close();
      await Promise.all(d.consumers.map((id) => as(d).delete(`/api/consumers/${id}`)));
      await as(d).delete(`/api/topics/${TOPIC}`);
      await as(d).delete(`/api/topics/${JOBS}`);
      await api().delete(`/api/students/${d.who.id}?purge=true`);
    }
    if (shared) await api().delete(`/api/topics/${shared}`);
  });

  it('both create failsafe-test-topic: each by that name, kept apart on the cluster (kcat lists both), the instructor sees both with owners', async () => {
    for (const d of desks) {
      // Subscribed before the topic exists: the name is the student's own.
      await subscribe(d.socket, { topic: TOPIC });
      await subscribe(d.socket, { group: GROUP });
      const r = await as(d).post('/api/topics').send({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ name: TOPIC, owner: d.who.id, replicationFactor: 3 });
      expect(r.body.partitions).toHaveLength(PARTITIONS);
      const again = await as(d).post('/api/topics').send({ name: TOPIC, partitions: 1, replicationFactor: 1 });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(`Topic ${TOPIC} already exists.`);
    }

    const listing = JSON.parse(await kcat(['-L', '-b', sharedLab().bootstrap.join(','), '-J'])) as { topics: Array<{ topic: string; partitions: unknown[] }> };
    for (const d of desks) {
      expect(listing.topics.find((t) => t.topic === `s-${d.who.id}.${TOPIC}`)?.partitions).toHaveLength(PARTITIONS);
    }

    const all = (await api().get('/api/topics')).body as Array<{ name: string; owner: string }>;
    for (const d of desks) expect(all).toContainEqual(expect.objectContaining({ name: `s-${d.who.id}.${TOPIC}`, owner: d.who.id }));

    for (const d of desks) {
      const mine = (await as(d).get('/api/topics')).body as Array<{ name: string; owner: string }>;
      expect(mine.filter((t) => t.owner === d.who.id)).toEqual([expect.objectContaining({ name: TOPIC })]);
      expect(mine.every((t) => t.owner === d.who.id || t.owner === 'instructor')).toBe(true);
      const text = await as(d).get(`/api/topics/${TOPIC}?format=text`);
      expect(text.status).toBe(200);
      expect(text.text).toMatch(new RegExp(`^Topic: ${TOPIC}\\t`));
      expect(text.text).not.toContain('s-');
    }
  });

  it('publish/subscribe: each student\'s three consumers without a group each receive every message of theirs, none of the other\'s', async () => {
    const solo = new Map<Desk, string[]>();
    for (const d of desks) {
      const ids: string[] = [];
      for (const i of range(3)) {
        const r = await as(d).post('/api/consumers').send({ topic: TOPIC, name: `${d.who.name}-solo-${i}` });
        expect(r.status).toBe(201);
        // A group of its own, in the student's names.
        expect(r.body.groupId).toBe(`klab-solo-${r.body.id}`);
        ids.push(r.body.id);
      }
      solo.set(d, ids);
      d.consumers.push(...ids);
    }
    for (const d of desks) {
      const r = await as(d).post(`/api/topics/${TOPIC}/messages`).set('Content-Type', 'text/plain').send(range(3).map((i) => `${d.who.name}-p${i + 1}`).join('\n'));
      expect(r.status).toBe(201);
    }
    for (const d of desks) {
      const want = range(3).map((i) => `${d.who.name}-p${i + 1}`);
      for (const id of solo.get(d)!) {
        const got = await waitFor(`${d.who.name}'s consumer ${id} to receive the three`, async () => {
          const ms = await messagesOf(d, id);
          return ms.length >= 3 && ms;
        }, 30_000);
        expect(got.map((m) => m.value).sort()).toEqual(want);
      }
      // Stopped, so the queue part below has its group to itself; deleted at the end.
      for (const id of solo.get(d)!) expect((await as(d).post(`/api/consumers/${id}/stop`)).status).toBe(200);
    }
  });

  it('each student\'s group of three shares the partitions and sees only their own messages and rebalances, over REST and socket.io', async () => {
    for (const d of desks) {
      for (const i of range(3)) {
        const r = await as(d).post('/api/consumers').send({ topic: TOPIC, groupId: GROUP, name: `${d.who.name}-${i}` });
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({ owner: d.who.id, groupId: GROUP, topics: [TOPIC] });
        d.consumers.push(r.body.id);
        d.group.push(r.body.id);
      }
      // The first consumer's own stream too: its messages, pushed.
      await subscribe(d.socket, { consumer: d.group[0] });
    }
    await Promise.all(desks.map(balanced));

    for (const d of desks) {
      const values = range(7).map((i) => `${d.who.name}-m${i + 1}`);
      const r = await as(d).post(`/api/topics/${TOPIC}/messages`).send({ messages: values.map((value, i) => ({ value, partition: i % PARTITIONS })) });
      expect(r.status).toBe(201);
      expect(r.body.results).toHaveLength(7);
    }

    for (const d of desks) {
      const got = await waitFor(`${d.who.name}'s seven messages`, async () => {
        const ms = (await Promise.all(d.group.map((id) => messagesOf(d, id)))).flat();
        return ms.length >= 7 && ms;
      }, 30_000);
      // Queue: each of their messages reached exactly one of their consumers, and nothing of the other's.
      expect(got.map((m) => m.value).sort()).toEqual(range(7).map((i) => `${d.who.name}-m${i + 1}`).sort());
      expect(got.every((m) => m.topic === TOPIC)).toBe(true);

      // messages.produced folds a second of writes into one event, so its counts come within about a
      // second: the three of publish/subscribe and these seven, under their name for the topic.
      const produced = (all: Ev[]) => all.filter((e) => e.type === 'messages.produced' && e.actor === d.who.id && e.topic === TOPIC).reduce((n, e) => n + e.count, 0);
      const evs = await waitFor(`${d.who.name}'s messages.produced events`, async () => {
        const all = await events(d, mark);
        return produced(all) === 10 && all;
      }, 10_000);
      const rebalances = evs.filter((e) => e.type === 'group.rebalanced');
      expect(rebalances.filter((e) => e.groupId === GROUP).length).toBeGreaterThanOrEqual(3);
      for (const e of rebalances) {
        // Their group's, or one of their solo consumers' own group.
        expect(d.consumers).toContain(e.consumerId);
        expect([GROUP, `klab-solo-${e.consumerId}`]).toContain(e.groupId);
        for (const tp of [...e.assigned, ...e.revoked]) expect(tp.topic).toBe(TOPIC);
      }
      // Nothing in their timeline names the other student's things, nor any prefix.
      const other = desks.find((x) => x !== d)!;
      expect(JSON.stringify(evs)).not.toContain(`s-${d.who.id}.`);
      expect(JSON.stringify(evs)).not.toContain(other.who.id);
      expect(evs.find((e) => e.type === 'topic.created' && e.actor === d.who.id)?.topic).toBe(TOPIC);
    }

    for (const d of desks) {
      const other = desks.find((x) => x !== d)!;
      // The socket: every rebalance pushed is theirs, in their names; the first consumer's messages arrive.
      const pushedRebalances = await waitFor(`${d.who.name}'s rebalances pushed`, () => {
        const r = d.pushed.filter((p) => p.channel === 'rebalance').map((p) => p.body as Ev);
        return r.length >= 3 && r;
      }, 30_000);
      for (const e of pushedRebalances) {
        expect(e.groupId).toBe(GROUP);
        expect(d.group).toContain(e.consumerId);
      }
      const pushedMessages = await waitFor(`${d.who.name}'s first consumer's messages pushed`, async () => {
        const kept = await messagesOf(d, d.group[0]);
        const m = d.pushed.filter((p) => p.channel === 'message').map((p) => p.body as Msg);
        return kept.length > 0 && m.length === kept.length && m;
      }, 30_000);
      expect(pushedMessages.every((m) => m.consumerId === d.group[0] && m.topic === TOPIC && m.value!.startsWith(`${d.who.name}-`))).toBe(true);
      expect(JSON.stringify(d.pushed)).not.toContain(other.who.id);
      expect(JSON.stringify(d.pushed)).not.toContain(`s-${d.who.id}.`);
      expect(d.pushed.some((p) => p.channel === 'event' && p.body.type === 'topic.created' && p.body.topic === TOPIC && p.body.actor === d.who.id)).toBe(true);
      expect(d.pushed.some((p) => p.channel === 'event' && p.body.type === 'messages.produced' && p.body.topic === TOPIC)).toBe(true);
      // Another student's consumer: refused like one that does not exist.
      await expect(subscribe(d.socket, { consumer: other.group[0] })).rejects.toThrow(`There is no consumer ${other.group[0]}.`);
      await expect(subscribe(d.socket, { topic: `s-${other.who.id}.${TOPIC}` })).rejects.toThrow(`Topic s-${other.who.id}.${TOPIC} does not exist.`);
    }
  });

  it('another student\'s consumer, topic and group answer 404 with the sentence of a missing one; the instructor sees both with owners', async () => {
    const nobody = uniqueName('nothing');
    const sentence = async (d: Desk, path: string) => {
      const r = await as(d).get(path);
      expect(r.status).toBe(404);
      return r.body.message as string;
    };
    for (const d of desks) {
      const other = desks.find((x) => x !== d)!;
      const theirs = other.group[0];
      expect(await sentence(d, `/api/consumers/${theirs}`)).toBe(`There is no consumer ${theirs}.`);
      expect(await sentence(d, `/api/consumers/${theirs}/messages`)).toBe(`There is no consumer ${theirs}.`);
      expect((await as(d).post(`/api/consumers/${theirs}/stop`)).status).toBe(404);
      expect(await sentence(d, `/api/topics/s-${other.who.id}.${TOPIC}`)).toBe(`Topic s-${other.who.id}.${TOPIC} does not exist.`);
      expect(await sentence(d, `/api/topics/${nobody}`)).toBe(`Topic ${nobody} does not exist.`);
      expect(await sentence(d, `/api/groups/s-${other.who.id}.${GROUP}`)).toBe(`There is no consumer group s-${other.who.id}.${GROUP}.`);
      expect((await as(d).delete(`/api/topics/s-${other.who.id}.${TOPIC}`)).status).toBe(404);

      const list = (await as(d).get('/api/consumers')).body as Consumer[];
      expect(list.map((c) => c.id).sort()).toEqual([...d.consumers].sort());
      const groups = (await as(d).get('/api/groups')).body as Array<{ groupId: string; owner: string; members: number }>;
      expect(groups).toContainEqual(expect.objectContaining({ groupId: GROUP, owner: d.who.id, members: 3 }));
      expect(groups.every((g) => g.owner === d.who.id && (g.groupId === GROUP || g.groupId.startsWith('klab-solo-')))).toBe(true);
      const group = (await as(d).get(`/api/groups/${GROUP}`)).body;
      expect(group).toMatchObject({ groupId: GROUP, owner: d.who.id });
      expect(group.members.map((m: { consumerId: string }) => m.consumerId).sort()).toEqual([...d.group].sort());
      expect(group.offsets.every((o: { topic: string }) => o.topic === TOPIC)).toBe(true);
    }

    const consumers = (await api().get('/api/consumers')).body as Consumer[];
    const groups = (await api().get('/api/groups')).body as Array<{ groupId: string; owner: string }>;
    for (const d of desks) {
      // A consumer keeps its owner's names, whoever reads it.
      expect(consumers.filter((c) => c.owner === d.who.id).map((c) => c.id).sort()).toEqual([...d.consumers].sort());
      expect(consumers.find((c) => c.id === d.group[0])).toMatchObject({ groupId: GROUP, topics: [TOPIC] });
      expect(groups).toContainEqual(expect.objectContaining({ groupId: `s-${d.who.id}.${GROUP}`, owner: d.who.id }));
      const group = (await api().get(`/api/groups/s-${d.who.id}.${GROUP}`)).body;
      expect(group.members).toHaveLength(3);
      expect(group.members.flatMap((m: { assignment: TP[] }) => m.assignment.map((a) => a.topic))).toContain(`s-${d.who.id}.${TOPIC}`);
    }
    // The instructor's timeline names the cluster's topics.
    const evs = (await api().get(`/api/events?after=${mark}&types=topic.created&limit=5000`)).body.events as Ev[];
    for (const d of desks) expect(evs.find((e) => e.actor === d.who.id)?.topic).toBe(`s-${d.who.id}.${TOPIC}`);
  });

  it('a student\'s consumer-protocol member and manual share member (the client host) live in their namespace too', async () => {
    const before = await eventMark();
    const kip848 = await as(ada).post('/api/consumers').send({ topic: TOPIC, groupId: 'new-g', protocol: 'consumer' });
    expect(kip848.status).toBe(201);
    ada.consumers.push(kip848.body.id);
    expect(kip848.body).toMatchObject({ groupId: 'new-g', protocol: 'consumer', topics: [TOPIC] });
    const running = await waitFor('the consumer-protocol member to own every partition', async () => {
      const v = await viewOf(ada, kip848.body.id);
      return v.state === 'running' && partitionsOf(v.assignment).length === PARTITIONS && v;
    }, 60_000);
    expect(running.assignment.every((a) => a.topic === TOPIC)).toBe(true);
    const described = await as(ada).get('/api/groups/new-g');
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ groupId: 'new-g', owner: ada.who.id, type: 'consumer' });
    expect(described.body.offsets.every((o: { topic: string }) => o.topic === TOPIC)).toBe(true);
    expect((await api().get(`/api/groups/s-${ada.who.id}.new-g`)).body).toMatchObject({ owner: ada.who.id, type: 'consumer' });

    // A manual share member holds what it got until it acknowledges: a topic of its own, so the record
    // it is to get is the first.
    expect((await as(ada).post('/api/topics').send({ name: JOBS, partitions: 1, replicationFactor: 3 })).status).toBe(201);
    const share = await as(ada).post('/api/consumers').send({ topic: JOBS, groupId: 'share-g', protocol: 'share', ack: 'manual', fromBeginning: true });
    expect(share.status).toBe(201);
    ada.consumers.push(share.body.id);
    expect((await as(ada).post(`/api/topics/${JOBS}/messages`).send({ value: 'ada-share' })).status).toBe(201);
    const held = await waitFor('the share member to receive the record', async () => (await messagesOf(ada, share.body.id)).find((m) => m.value === 'ada-share'), 30_000).catch(async (e) => {
      // What the member and its group show, to tell a namespace fault from a share-group one.
      const dump = {
        view: (await as(ada).get(`/api/consumers/${share.body.id}`)).body,
        messages: (await messagesOf(ada, share.body.id)).map((m) => m.value),
        group: (await as(ada).get('/api/groups/share-g')).body,
        events: (await events(ada, before)).filter((ev) => ev.consumerId === share.body.id || ev.groupId === 'share-g'),
      };
      throw new Error(`${(e as Error).message}: ${JSON.stringify(dump)}`);
    });
    expect(held.topic).toBe(JOBS);
    const acked = await as(ada).post(`/api/consumers/${share.body.id}/acknowledge`).send({ acks: [{ topic: JOBS, partition: held.partition, offset: (held as Msg & { offset: string }).offset, type: 'accept' }] });
    expect(acked.status).toBe(200);
    expect(acked.body.results[0].topic).toBe(JOBS);
    const evs = await waitFor('share.acknowledged in Ada\'s names', async () => {
      const all = await events(ada, before);
      return all.some((e) => e.type === 'share.acknowledged' && e.groupId === 'share-g' && e.topic === JOBS) && all;
    }, 30_000);
    expect(JSON.stringify(evs)).not.toContain(`s-${ada.who.id}.`);
    expect(evs.filter((e) => e.type === 'group.rebalanced' && e.groupId === 'new-g').length).toBeGreaterThanOrEqual(1);
    // Bob has no such groups, and cannot see Ada's.
    expect((await as(desks[1]).get('/api/groups/new-g')).status).toBe(404);
    expect((await as(desks[1]).get('/api/groups/share-g')).status).toBe(404);
  });

  it('a shared topic is describable, producible and consumable by a student, not deletable', async () => {
    shared = uniqueName('shared');
    expect((await api().post('/api/topics').send({ name: shared, partitions: 2, replicationFactor: 3 })).status).toBe(201);

    const described = await as(ada).get(`/api/topics/${shared}`);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ name: shared, owner: 'instructor' });
    expect((await as(ada).get('/api/topics')).body).toContainEqual(expect.objectContaining({ name: shared, owner: 'instructor' }));

    const c = await as(ada).post('/api/consumers').send({ topic: shared, fromBeginning: true });
    expect(c.status).toBe(201);
    ada.consumers.push(c.body.id);
    expect(c.body).toMatchObject({ owner: ada.who.id, topics: [shared] });
    const produced = await as(ada).post(`/api/topics/${shared}/messages`).send({ value: 'from-ada' });
    expect(produced.status).toBe(201);
    await waitFor('Ada\'s consumer to read the shared topic', async () => (await messagesOf(ada, c.body.id)).some((m) => m.value === 'from-ada' && m.topic === shared), 30_000);

    const del = await as(ada).delete(`/api/topics/${shared}`);
    expect(del.status).toBe(403);
    expect(del.body.message).toBe(`Topic ${shared} is shared by the instructor; only the instructor deletes it.`);
    const elect = await as(ada).post(`/api/topics/${shared}/elect-leaders`);
    expect(elect.status).toBe(403);
    // A topic of her own by that name would hide the shared one from her.
    const mine = await as(ada).post('/api/topics').send({ name: shared, partitions: 1, replicationFactor: 1 });
    expect(mine.status).toBe(409);
    expect(mine.body.message).toMatch(/the instructor shares it with the class/);
    expect((await api().get(`/api/topics/${shared}`)).status).toBe(200);
  });

  it('keeps the students\' name shape from the instructor (400) and says a student\'s topic names stop at 240 characters', async () => {
    const reserved = await api().post('/api/topics').send({ name: `s-${ada.who.id}.sneaky`, partitions: 1, replicationFactor: 1 });
    expect(reserved.status).toBe(400);
    expect(reserved.body.message).toMatch(/kept for the students' own topics/);
    const underscore = await api().post('/api/topics').send({ name: 's-zzzzzz_sneaky', partitions: 1, replicationFactor: 1 });
    expect(underscore.status).toBe(400);
    const group = await api().post('/api/consumers').send({ topic: `s-${ada.who.id}.${TOPIC}`, groupId: `s-${ada.who.id}.${GROUP}` });
    expect(group.status).toBe(400);
    expect(group.body.message).toMatch(/kept for the students' own groups/);

    const long = await as(ada).post('/api/topics').send({ name: 'x'.repeat(241), partitions: 1, replicationFactor: 1 });
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/at most 240 characters/);
  });
});
