import { addStudent, TestStudent } from '../support/class';
import { balanced, ConsumerBody, partitionsOf, trickle } from '../support/consumers';
import { checkEvidence, expectNotPassed, passedIds, ReadEvent, reportOf, resultOf, waitForPass } from '../support/grading';
import { api, waitFor } from '../support/lab';

/**
 * Labs F and G graded on the Kafka 4 protocols. Grading counts students' own consumers (lab-f and lab-g
 * run as the instructor), so a student runs the smallest form of each: a classic group and then a
 * consumer-protocol group of two on a 6-partition topic while messages trickle in (only the second
 * passes incremental-rebalance), and two manual share members on one partition, one of which releases
 * its record and sees it again (share-group).
 */
const PARTITIONS = 6;

describe('grading: Labs F and G on the Kafka 4 protocols, as a student', () => {
  let ada: TestStudent;
  const consumers: string[] = [];
  const as = () => api(ada.token);
  const start = async (body: Record<string, unknown>): Promise<ConsumerBody> => {
    const r = await as().post('/api/consumers').send(body);
    expect(r.status).toBe(201);
    consumers.push(r.body.id);
    return r.body as ConsumerBody;
  };
  const eventsOf = async (types: string): Promise<ReadEvent[]> => (await as().get(`/api/events?types=${types}&limit=5000`).expect(200)).body.events;

  beforeAll(async () => {
    ada = await addStudent('Ada-k4');
  });

  afterAll(async () => {
    await Promise.all(consumers.map((id) => api().delete(`/api/consumers/${id}`)));
    if (ada) await api().delete(`/api/students/${ada.id}?purge=true`);
  });

  it('Lab F: a classic group changing does not pass incremental-rebalance; a consumer-protocol group does, with evidence', async () => {
    expect((await as().post('/api/topics').send({ name: 'lab-f', partitions: PARTITIONS, replicationFactor: 3 })).status).toBe(201);
    // The instructor writes to her topic by its cluster name; who writes does not matter to the checkpoint.
    const flow = trickle(`s-${ada.id}.lab-f`, PARTITIONS, 100, 2);
    try {
      // The same change twice: one member, then a second joins. Classic first, so its events lie before
      // the consumer group's: when the latter passes, the classic one was judged (the engine folds in seq order).
      const c1 = await start({ topic: 'lab-f', groupId: 'classic-g', protocol: 'classic', name: 'c1' });
      await balanced([c1.id], PARTITIONS, 60_000);
      const c2 = await start({ topic: 'lab-f', groupId: 'classic-g', protocol: 'classic', name: 'c2' });
      await balanced([c1.id, c2.id], PARTITIONS, 60_000);
      // Both read after the rebalance that split the partitions: what would pass it if protocol did not matter.
      const classicSteps = (await eventsOf('group.rebalanced')).filter((e) => e.groupId === 'classic-g');
      expect(classicSteps.length).toBeGreaterThanOrEqual(2);
      const lastRebalance = Math.max(...classicSteps.map((e) => e.seq));
      await waitFor('both classic members to read after their last rebalance', async () => {
        const evs = (await eventsOf('messages.consumed')).filter((e) => e.seq > lastRebalance);
        return [c1.id, c2.id].every((id) => evs.some((e) => e.consumerId === id));
      }, 30_000, 250);
      expectNotPassed(await reportOf(ada.id, ada.token), 'incremental-rebalance');
      for (const c of [c1, c2]) expect((await as().post(`/api/consumers/${c.id}/stop`)).status).toBe(200);

      const d1 = await start({ topic: 'lab-f', groupId: 'new-g', protocol: 'consumer', name: 'd1' });
      await balanced([d1.id], PARTITIONS, 60_000);
      const d2 = await start({ topic: 'lab-f', groupId: 'new-g', protocol: 'consumer', name: 'd2' });
      const views = await balanced([d1.id, d2.id], PARTITIONS, 60_000);
      const r = await waitForPass(ada.id, 'incremental-rebalance', ada.token);
      const inc = resultOf(r, 'incremental-rebalance');
      const evs = await checkEvidence(inc, ['group.rebalanced', 'messages.consumed'], ada.token);
      expect(inc.evidence!.groups).toEqual(['new-g']);
      for (const id of inc.evidence!.consumers) expect([d1.id, d2.id]).toContain(id);
      for (const e of evs.filter((x) => x.type === 'group.rebalanced')) expect(e).toMatchObject({ groupId: 'new-g', protocol: 'consumer' });
      // The proof: a member read from a partition it kept (it still owns it) while another moved.
      expect(inc.evidence!.messages.length).toBeGreaterThan(0);
      for (const m of inc.evidence!.messages) {
        expect(m.topic).toBe('lab-f');
        const owner = views.find((v) => v.id === m.consumerId)!;
        expect(partitionsOf(owner.assignment)).toContain(m.partition);
      }
    } finally {
      await flow.stop();
    }
  });

  it('Lab G: two manual share members get different records of one partition; a released one comes back; share-group passes', async () => {
    expect((await as().post('/api/topics').send({ name: 'jobs', partitions: 1, replicationFactor: 3 })).status).toBe(201);
    const members = [
      await start({ topic: 'jobs', groupId: 'workers', protocol: 'share', ack: 'manual', fromBeginning: true, name: 'w1' }),
      await start({ topic: 'jobs', groupId: 'workers', protocol: 'share', ack: 'manual', fromBeginning: true, name: 'w2' }),
    ];
    const [w1, w2] = members.map((m) => m.id);
    expect((await as().post('/api/topics/jobs/messages').send({ messages: [{ value: 'job1' }, { value: 'job2' }] })).status).toBe(201);
    const messages = async (id: string) => (await as().get(`/api/consumers/${id}/messages?after=0&limit=2000`).expect(200)).body.messages as Array<{ partition: number; offset: string; deliveryCount?: number }>;
    const held = await waitFor('each member to hold one record', async () => {
      const per = await Promise.all([w1, w2].map(messages));
      return per.every((ms) => ms.length === 1) && per.map((ms) => ms[0]);
    }, 30_000);
    expect(held[0].offset).not.toBe(held[1].offset);
    // Different records, but nothing released yet.
    expectNotPassed(await reportOf(ada.id, ada.token), 'share-group');

    const ack = await as().post(`/api/consumers/${w1}/acknowledge`).send({ acks: [{ topic: 'jobs', partition: 0, offset: held[0].offset, type: 'release' }] });
    expect(ack.status).toBe(200);
    await waitFor('the released record delivered again', async () => {
      const all = (await Promise.all([w1, w2].map(messages))).flat();
      return all.some((m) => m.offset === held[0].offset && m.deliveryCount === 2);
    }, 30_000);
    const r = await waitForPass(ada.id, 'share-group', ada.token);
    const share = resultOf(r, 'share-group');
    const evs = await checkEvidence(share, ['share.acknowledged', 'share.redelivered'], ada.token);
    expect(evs.find((e) => e.type === 'share.acknowledged')).toMatchObject({ consumerId: w1, ackType: 'release', groupId: 'workers', topic: 'jobs', offsets: [held[0].offset] });
    expect(evs.find((e) => e.type === 'share.redelivered')).toMatchObject({ groupId: 'workers', topic: 'jobs', partition: 0, offset: held[0].offset, deliveryCount: 2 });
    expect(share.evidence!.groups).toEqual(['workers']);
    expect([...share.evidence!.consumers].sort()).toEqual(expect.arrayContaining([w1, w2].sort()));
    // Each member's own record among the proof: different offsets of the one partition.
    const proof = share.evidence!.messages;
    for (const [i, id] of [w1, w2].entries()) expect(proof).toContainEqual({ consumerId: id, topic: 'jobs', partition: 0, offset: held[i].offset });

    expect(passedIds(await reportOf(ada.id))).toEqual(expect.arrayContaining(['incremental-rebalance', 'share-group']));
  });
});
