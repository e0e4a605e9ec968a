import { Ev, eventMark, eventsSince, waitForEvents } from '../support/events';
import { ConsumerBody, createTopic, MessageBody, messagesOf, startConsumer } from '../support/consumers';
import { api, uniqueName, waitFor } from '../support/lab';

/**
 * Lab G: queues for Kafka. Three share consumers with manual acknowledgement on a topic of ONE
 * partition each receive different records; a released record comes back with deliveryCount 2; a
 * rejected one never comes back; one left past its lock goes to another member; one released again
 * and again is archived at the delivery limit.
 */

type Ack = 'accept' | 'release' | 'reject';

describe('Lab G: share groups (KIP-932)', () => {
  const started: string[] = [];
  afterAll(async () => {
    await Promise.all(started.map((id) => api().delete(`/api/consumers/${id}`)));
  });

  it('three manual members share one partition record by record; release, reject, lock expiry and the delivery limit', async () => {
    const topic = await createTopic('jobs', 1);
    const groupId = uniqueName('workers');
    const members: ConsumerBody[] = [];
    for (const n of ['w1', 'w2', 'w3']) members.push(await startConsumer({ topic, groupId, protocol: 'share', ack: 'manual', fromBeginning: true, name: n }));
    started.push(...members.map((m) => m.id));
    for (const m of members) expect(m).toMatchObject({ protocol: 'share', ack: 'manual', groupId });
    const [a, b, c] = members.map((m) => m.id);
    const mark = await eventMark();

    const all = async () => (await Promise.all(members.map((m) => messagesOf(m.id)))).flat();
    /** The member that received `offset` for the `deliveryCount`-th time. */
    const delivery = (offset: string, deliveryCount: number) =>
      waitFor(`offset ${offset} delivered with deliveryCount ${deliveryCount}`, async () => (await all()).find((m) => m.offset === offset && m.deliveryCount === deliveryCount), 30_000, 100);
    const ack = async (consumerId: string, offset: string, type: Ack) => {
      const r = await api().post(`/api/consumers/${consumerId}/acknowledge`).send({ acks: [{ topic, partition: 0, offset, type }] });
      expect(r.status).toBe(200);
      expect(r.body.results).toEqual([{ topic, partition: 0, offsets: [offset], type }]);
    };

    // job1..job3: each member holds one, all different, all of partition 0.
    const produced = await api().post(`/api/topics/${topic}/messages`).send({ messages: ['job1', 'job2', 'job3'].map((value) => ({ value })) });
    expect(produced.status).toBe(201);
    const first = await waitFor('each member to hold one record', async () => {
      const per = await Promise.all([a, b, c].map((id) => messagesOf(id)));
      return per.every((ms) => ms.length === 1) && per.map((ms) => ms[0]);
    }, 30_000);
    expect(new Set(first.map((m) => m.offset)).size).toBe(3);
    for (const m of first) expect(m).toMatchObject({ partition: 0, deliveryCount: 1 });
    const [ra, rb, rc] = first.map((m) => m.offset);

    // Another member's record, or an unknown offset, cannot be acknowledged (400 naming it).
    const wrong = await api().post(`/api/consumers/${a}/acknowledge`).send({ acks: [{ topic, partition: 0, offset: rb, type: 'accept' }] });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toContain(`offset ${rb}`);

    // Release: it comes back with deliveryCount 2 (to a, the only member free to take it).
    await ack(a, ra, 'release');
    const again = await delivery(ra, 2);
    await waitForEvents('share.redelivered of the released record', mark, (evs) =>
      evs.some((e) => e.type === 'share.redelivered' && e.offset === ra && e.deliveryCount === 2 && e.why === 'released' && e.consumerId === again.consumerId),
    );

    // Released again and again: archived at the delivery limit (quickly, before c's lock runs out).
    let holder: MessageBody = again;
    for (let n = 2; ; n++) {
      await ack(holder.consumerId, ra, 'release');
      const archived = (await eventsSince(mark, ['share.archived'])).find((e: Ev) => e.offset === ra);
      if (archived) {
        expect(archived).toMatchObject({ groupId, topic, partition: 0, why: `released at the delivery limit (${n})` });
        break;
      }
      expect(n).toBeLessThan(10); // the broker takes limits of 2..10
      holder = await delivery(ra, n + 1);
    }

    // Reject: archived, never delivered again.
    await ack(b, rb, 'reject');
    await waitForEvents('share.archived of the rejected record', mark, (evs) => evs.some((e) => e.type === 'share.archived' && e.offset === rb && e.why === 'rejected'));

    // No acknowledgement past the lock: c's record goes to another member (a and b are free now).
    const t0 = Date.now();
    const expired = await delivery(rc, 2);
    expect(expired.consumerId).not.toBe(c);
    process.stdout.write(`\n% Lab G: the unacknowledged record came back to another member ${((Date.now() - t0) / 1000).toFixed(1)} s after the reject\n`);
    await waitForEvents('share.redelivered after the lock expired', mark, (evs) =>
      evs.some((e) => e.type === 'share.redelivered' && e.offset === rc && e.consumerId === expired.consumerId && e.why === 'lock expired'),
    );
    await ack(expired.consumerId, rc, 'accept');

    // The rejected record never came back, nor the archived one after its last delivery.
    await new Promise((r) => setTimeout(r, 1000));
    const everything = await all();
    expect(everything.filter((m) => m.offset === rb)).toHaveLength(1);
    const lastOfRa = Math.max(...everything.filter((m) => m.offset === ra).map((m) => m.deliveryCount ?? 0));
    expect(everything.filter((m) => m.offset === ra)).toHaveLength(lastOfRa);
    const acks = (await eventsSince(mark, ['share.acknowledged'])).filter((e: Ev) => e.groupId === groupId);
    expect(acks.map((e) => e.ackType)).toEqual(expect.arrayContaining(['release', 'reject', 'accept']));

    // The group as Kafka describes it: a share group, three members at their epochs, the records in flight.
    const g = await api().get(`/api/groups/${groupId}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ type: 'share', groupEpoch: expect.any(Number) });
    expect(g.body.members.map((m: { consumerId: string }) => m.consumerId).sort()).toEqual([a, b, c].sort());
    for (const m of g.body.members) expect(m.memberEpoch).toEqual(expect.any(Number));
    // Per partition the share-partition start offset and the records in flight after it. Kafka persists
    // the start offset as acknowledgements are written, so it may trail the last acknowledgement.
    const offsets = (await api().get(`/api/groups/${groupId}`)).body.offsets;
    expect(offsets).toEqual([{ topic, partition: 0, startOffset: expect.stringMatching(/^[0-3]$/), latest: '3', inFlight: expect.any(Number) }]);
    expect(offsets[0].inFlight).toBe(3 - Number(offsets[0].startOffset));
  });
});
