import { Ev, eventMark, eventsSince } from '../support/events';
import { Arrivals, balanced, ConsumerBody, createTopic, partitionsOf, startConsumer, TP, trickle } from '../support/consumers';
import { api, uniqueName, waitFor } from '../support/lab';

/**
 * Lab F: the same membership script for a classic group and a consumer-protocol (KIP-848) group on one
 * 6-partition topic while ~20 msg/s flow: start m1, add m2 and m3, stop m1. The classic members are
 * revoked everything at every rebalance; the new group's members are revoked only what moves, one
 * reconciliation step at a time, and keep consuming what they keep.
 */

const PARTITIONS = 6;

interface Rebalance extends Ev {
  groupId: string;
  consumerId: string;
  memberEpoch?: number;
  generation: number | null;
  protocol: string;
  assigned: TP[];
  revoked: TP[];
  owned: TP[];
}

interface ScriptRun {
  groupId: string;
  ids: string[];
  /** When m2 was asked for, and when the three were balanced. */
  joinFrom: number;
  joinTo: number;
  /** When m1 was stopped, and when the two survivors were balanced. */
  leaveFrom: number;
  leaveTo: number;
}

/** Starts m1, adds m2 and m3, stops m1: the lab's script, for one group of one protocol. */
async function membershipScript(topic: string, protocol: 'classic' | 'consumer', prefix: string, arrivals: Arrivals): Promise<ScriptRun> {
  const groupId = uniqueName(`lab-f-${protocol}`);
  const start = async (n: number): Promise<ConsumerBody> => {
    const c = await startConsumer({ topic, groupId, protocol, name: `${prefix}${n}` });
    arrivals.follow(c.id);
    return c;
  };
  const m1 = await start(1);
  await balanced([m1.id], PARTITIONS);
  // Let m1 read for a moment alone, so its steady state is on record.
  await new Promise((r) => setTimeout(r, 1000));
  const joinFrom = Date.now();
  const m2 = await start(2);
  const m3 = await start(3);
  await balanced([m1.id, m2.id, m3.id], PARTITIONS);
  const joinTo = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  const leaveFrom = Date.now();
  expect((await api().post(`/api/consumers/${m1.id}/stop`)).status).toBe(200);
  await balanced([m2.id, m3.id], PARTITIONS);
  const leaveTo = Date.now();
  return { groupId, ids: [m1.id, m2.id, m3.id], joinFrom, joinTo, leaveFrom, leaveTo };
}

const overlap = (a: TP[], b: TP[]) => partitionsOf(a).filter((p) => partitionsOf(b).includes(p));

describe('Lab F: the consumer group protocol (KIP-848) next to the classic one', () => {
  const started: string[] = [];
  afterAll(async () => {
    await Promise.all(started.map((id) => api().delete(`/api/consumers/${id}`)));
  });

  it('runs the same membership script on both while messages flow; only the new group keeps consuming through it', async () => {
    const topic = await createTopic('lab-f', PARTITIONS);
    const mark = await eventMark();
    const arrivals = new Arrivals(100);
    const flow = trickle(topic, PARTITIONS, 100, 2);
    let classic: ScriptRun;
    let consumer: ScriptRun;
    try {
      [classic, consumer] = await Promise.all([
        membershipScript(topic, 'classic', 'c', arrivals),
        membershipScript(topic, 'consumer', 'd', arrivals),
      ]);
      started.push(...classic.ids, ...consumer.ids);
      // The survivors' last steps are on the timeline once the group is balanced; a moment for the last messages.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await flow.stop();
      arrivals.stop();
    }
    const events = (await eventsSince(mark, ['group.rebalanced'])) as Rebalance[];
    const of = (run: ScriptRun) => events.filter((e) => e.groupId === run.groupId);
    const [d1, d2, d3] = consumer.ids;
    const [c1] = classic.ids;

    // ---- the consumer protocol: steps at member epochs, only what moves ----
    const newSteps = of(consumer);
    expect(newSteps.length).toBeGreaterThanOrEqual(4);
    for (const e of newSteps) {
      expect(e).toMatchObject({ protocol: 'consumer', memberEpoch: expect.any(Number) });
      expect(e.generation).toBe(e.memberEpoch);
      // No member is revoked a partition it keeps, nor revoked and given one back in one step.
      expect(overlap(e.revoked, e.owned)).toEqual([]);
      expect(overlap(e.revoked, e.assigned)).toEqual([]);
    }
    for (const id of consumer.ids) {
      const epochs = newSteps.filter((e) => e.consumerId === id).map((e) => e.memberEpoch!);
      expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    }
    // d1 gave up part of its partitions when d2 and d3 came, and kept the rest all along.
    const d1Join = newSteps.filter((e) => e.consumerId === d1 && Date.parse(e.time) >= consumer.joinFrom && Date.parse(e.time) < consumer.leaveFrom);
    expect(d1Join.length).toBeGreaterThan(0);
    for (const e of d1Join) expect(partitionsOf(e.owned).length).toBeGreaterThan(0);
    const kept = partitionsOf(d1Join[d1Join.length - 1].owned);
    // The joining members get partitions while d1 keeps consuming its own: it received from the
    // partitions it kept while the group reconciled.
    const joiners = newSteps.filter((e) => (e.consumerId === d2 || e.consumerId === d3) && partitionsOf(e.assigned).length > 0);
    expect(joiners.length).toBeGreaterThanOrEqual(2);
    const keptDuringJoin = arrivals.of(d1).filter((m) => kept.includes(m.partition) && m.at > consumer.joinFrom && m.at <= consumer.joinTo);
    expect(keptDuringJoin.length).toBeGreaterThan(0);
    // When d1 leaves, the survivors are only assigned: nothing of theirs is revoked.
    const leaveSteps = newSteps.filter((e) => e.consumerId !== d1 && Date.parse(e.time) >= consumer.leaveFrom);
    expect(leaveSteps.flatMap((e) => partitionsOf(e.assigned)).length).toBeGreaterThan(0);
    for (const e of leaveSteps) expect(partitionsOf(e.revoked)).toEqual([]);

    // ---- the classic protocol: every rebalance revokes everything ----
    const eager = of(classic);
    expect(eager.length).toBeGreaterThanOrEqual(4);
    const lastOwned = new Map<string, number[]>();
    let revokedKept = 0;
    for (const e of eager) {
      expect(e.protocol).toBe('classic');
      const before = lastOwned.get(e.consumerId) ?? [];
      // Everything it held is revoked, including what it gets back at once.
      expect(partitionsOf(e.revoked)).toEqual(before);
      revokedKept += overlap(e.revoked, e.owned).length;
      lastOwned.set(e.consumerId, partitionsOf(e.owned));
    }
    expect(revokedKept).toBeGreaterThan(0);
    const c1Join = eager.filter((e) => e.consumerId === c1 && Date.parse(e.time) >= classic.joinFrom);
    expect(c1Join.some((e) => partitionsOf(e.revoked).length === PARTITIONS)).toBe(true);

    // How long each member consumed nothing while the group changed (for the reader; the bench measures it).
    const gaps = (run: ScriptRun, from: number, to: number, ids: string[]) => ids.map((id) => `${id} ${(arrivals.longestGap(id, from, to) / 1000).toFixed(1)} s`).join(', ');
    process.stdout.write(
      `\n% Lab F longest time without a message: classic join ${gaps(classic, classic.joinFrom, classic.joinTo, [c1])}; consumer join ${gaps(consumer, consumer.joinFrom, consumer.joinTo, [d1])}; ` +
        `classic leave ${gaps(classic, classic.leaveFrom, classic.leaveTo, classic.ids.slice(1))}; consumer leave ${gaps(consumer, consumer.leaveFrom, consumer.leaveTo, consumer.ids.slice(1))}\n`,
    );

    // ---- the groups as Kafka describes them ----
    const g = await api().get(`/api/groups/${consumer.groupId}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ groupId: consumer.groupId, type: 'consumer', groupEpoch: expect.any(Number), targetAssignmentEpoch: expect.any(Number) });
    expect(g.body.members.map((m: { consumerId: string }) => m.consumerId).sort()).toEqual([d2, d3].sort());
    for (const m of g.body.members) expect(m).toMatchObject({ memberEpoch: expect.any(Number), clientId: `klab-${m.consumerId}` });
    expect(g.body.offsets).toHaveLength(PARTITIONS);
    const cg = await api().get(`/api/groups/${classic.groupId}`);
    expect(cg.body).toMatchObject({ type: 'classic' });
    const list = await api().get('/api/groups');
    const listed = new Map((list.body as Array<{ groupId: string; type: string; members: number }>).map((x) => [x.groupId, x]));
    expect(listed.get(consumer.groupId)).toMatchObject({ type: 'consumer', members: 2 });
    expect(listed.get(classic.groupId)).toMatchObject({ type: 'classic', members: 2 });
    const d2View = await api().get(`/api/consumers/${d2}`);
    expect(d2View.body).toMatchObject({ protocol: 'consumer', memberEpoch: expect.any(Number) });
    await waitFor('d2 to have read something', async () => (await api().get(`/api/consumers/${d2}`)).body.received > 0);
  });
});
