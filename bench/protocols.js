'use strict';
/**
 * protocols: the classic group protocol (kafkajs, eager) next to the consumer protocol (KIP-848, on the
 * client host), on the same membership script, and share-group redelivery (KIP-932). Kafka 4.x only.
 *
 *  (a) Per protocol and repetition: a fresh group on a 6-partition topic (RF 3) while ~20 msg/s flow
 *      (2 messages every 100 ms over HTTP, round robin); every member's messages and rebalances pushed
 *      over socket.io ({ consumer: id }). Script: m1, m2 settled; JOIN m3; LEAVE (stop) m1; KILL m2.
 *      Per change: time from the call until every partition is owned again by its final owner (the
 *      last `rebalance` push of the change, once the owned sets are a disjoint cover and nothing moved
 *      for 2 s), and per surviving member the longest time it consumed nothing (no `message` push)
 *      between the call and that moment + 1 s (baseline: the same measure in the 3 s before the call).
 *  (b) Share redelivery: a share group of 2 manual members on a 1-partition topic; one record at a time.
 *      release: POST .../acknowledge release -> the `message` push of the same offset with
 *      deliveryCount + 1; lock expiry: the first delivery's push -> the next delivery's push of the
 *      record nobody acknowledged (the broker's record lock, SHARE_RECORD_LOCK_MS, is the floor).
 * BENCH_PROTOCOLS_REPS (default 2) repetitions of (a) per protocol, of (b) per kind.
 */
const h = require('./lib/harness');

const description = 'classic vs consumer protocol: rebalance timings on one membership script; share redelivery after release and lock expiry';
const TOPIC = 'bench-protocols';
const SHARE_TOPIC = 'bench-protocols-share';
const PARTITIONS = 6;

/** Follows members over one socket: message and rebalance pushes with their arrival times. */
function follower(socket) {
  const messages = [];
  const rebalances = [];
  socket.on('message', (m) => messages.push({ at: h.now(), consumerId: m.consumerId, partition: m.partition, offset: m.offset, deliveryCount: m.deliveryCount }));
  socket.on('rebalance', (e) => rebalances.push({ index: rebalances.length, at: h.now(), consumerId: e.consumerId, groupId: e.groupId, owned: e.owned || [], revoked: e.revoked || [], memberEpoch: e.memberEpoch }));
  return { messages, rebalances };
}

const count = (tps) => tps.reduce((n, tp) => n + tp.partitions.length, 0);
const parts = (tps) => tps.flatMap((tp) => tp.partitions);

/** The owned sets of `ids` after the pushes so far: a disjoint cover of every partition, each member some? */
function covered(pushes, ids) {
  const owned = new Map(ids.map((id) => [id, []]));
  for (const p of pushes) if (owned.has(p.consumerId)) owned.set(p.consumerId, parts(p.owned));
  const all = [...owned.values()].flat().sort((a, b) => a - b);
  return [...owned.values()].every((o) => o.length > 0) && all.length === PARTITIONS && all.every((p, i) => p === i);
}

/**
 * The time of the last push after index `from` (of all pushes) that moved something: a member's owned set
 * changed, or it was revoked partitions (an eager member is revoked everything, even what it gets back);
 * `t0` if none.
 */
function lastOwnershipChange(pushes, from, t0) {
  const owned = new Map();
  let at = t0;
  for (const p of pushes) {
    const now = JSON.stringify(parts(p.owned).sort((a, b) => a - b));
    if (p.index >= from && (owned.get(p.consumerId) !== now || count(p.revoked) > 0)) at = Math.max(at, p.at);
    owned.set(p.consumerId, now);
  }
  return at;
}

/** The longest time without a message for `id` in [from, to]. */
function longestGap(messages, id, from, to) {
  let last = from;
  let gap = 0;
  for (const m of messages) {
    if (m.consumerId !== id || m.at < from || m.at > to) continue;
    gap = Math.max(gap, m.at - last);
    last = m.at;
  }
  return Math.max(gap, to - last);
}

/**
 * One membership change: `act`, then until `holders()` (the members after it) own every partition;
 * the gaps are measured for `survivors` (members before and after it).
 */
async function change(ctx, f, groupId, what, act, holders, survivors) {
  const before = h.now();
  await h.sleep(3000); // steady flow: the baseline
  const markR = f.rebalances.length;
  const t0 = h.now();
  await act();
  const callMs = h.now() - t0;
  // Settled: the members' owned sets cover every partition and no push came for 2 s. Done: the last push
  // that changed a member's owned set (a later push that only raises an epoch moves nothing).
  await h.waitFor(`${what}: every partition owned again`, () => {
    const mine = f.rebalances.filter((p) => p.groupId === groupId);
    const last = mine.length ? mine[mine.length - 1].at : 0;
    return covered(mine, holders()) && h.now() - last > 2000;
  }, 120_000, 50);
  const done = lastOwnershipChange(f.rebalances.filter((p) => p.groupId === groupId), markR, t0);
  const ownedMs = done - t0;
  const gaps = survivors.map((id) => ({ id, gapMs: longestGap(f.messages, id, t0, done + 1000), baselineMs: longestGap(f.messages, id, before, t0) }));
  ctx.log(`${groupId} ${what}: every partition owned again after ${(ownedMs / 1000).toFixed(2)} s; longest without a message: ${gaps.map((g) => `${g.id} ${(g.gapMs / 1000).toFixed(2)} s (before ${(g.baselineMs / 1000).toFixed(2)})`).join(', ')}`);
  return { ownedMs: h.round(ownedMs, 0), callMs: h.round(callMs, 0), gaps };
}

async function script(ctx, server, socket, f, protocol, rep) {
  const groupId = `bench-${protocol}-${rep}-${Date.now().toString(36)}`;
  const start = async (n) => {
    const c = await server.api.ok('POST', '/api/consumers', { topic: TOPIC, groupId, protocol, name: `${protocol[0]}${n}` });
    await h.subscribe(socket, { consumer: c.id });
    return c.id;
  };
  const m1 = await start(1);
  const m2 = await start(2);
  await h.waitFor('m1 and m2 to share the partitions', () => covered(f.rebalances.filter((p) => p.groupId === groupId), [m1, m2]), 60_000, 100);
  let m3 = '';
  const join = await change(ctx, f, groupId, 'join', async () => (m3 = await start(3)), () => [m1, m2, m3], [m1, m2]);
  const leave = await change(ctx, f, groupId, 'leave', () => server.api.ok('POST', `/api/consumers/${m1}/stop`, {}), () => [m2, m3], [m2, m3]);
  const kill = await change(ctx, f, groupId, 'kill', () => server.api.ok('POST', `/api/consumers/${m2}/kill`, {}), () => [m3], [m3]);
  for (const id of [m1, m2, m3]) await server.api.del(`/api/consumers/${id}`);
  return { protocol, groupId, join, leave, kill };
}

async function share(ctx, server, socket, f, reps) {
  const groupId = `bench-share-${Date.now().toString(36)}`;
  const ids = [];
  for (const n of [1, 2]) {
    const c = await server.api.ok('POST', '/api/consumers', { topic: SHARE_TOPIC, groupId, protocol: 'share', ack: 'manual', fromBeginning: true, name: `s${n}` });
    await h.subscribe(socket, { consumer: c.id });
    ids.push(c.id);
  }
  const delivered = (offset, dc) => f.messages.find((m) => ids.includes(m.consumerId) && m.offset === offset && m.deliveryCount === dc);
  const ack = (id, offset, type) => server.api.ok('POST', `/api/consumers/${id}/acknowledge`, { acks: [{ topic: SHARE_TOPIC, partition: 0, offset, type }] });
  const produceOne = async (value) => (await server.api.ok('POST', `/api/topics/${SHARE_TOPIC}/messages`, { messages: [{ value }] })).results[0].offset;
  const out = { release: [], lockExpiry: [] };
  for (let rep = 0; rep < reps; rep++) {
    // release
    let offset = String(await produceOne(`release-${rep}`));
    let first = await h.waitFor('the record delivered', () => delivered(offset, 1), 30_000, 10);
    const t0 = h.now();
    await ack(first.consumerId, offset, 'release');
    const back = await h.waitFor('the released record delivered again', () => delivered(offset, 2), 30_000, 5);
    out.release.push({ ms: h.round(back.at - t0, 0), from: first.consumerId, to: back.consumerId });
    await ack(back.consumerId, offset, 'accept');
    // lock expiry: nobody acknowledges
    offset = String(await produceOne(`expire-${rep}`));
    first = await h.waitFor('the record delivered', () => delivered(offset, 1), 30_000, 10);
    const again = await h.waitFor('the unacknowledged record delivered again', () => delivered(offset, 2), 60_000, 5);
    out.lockExpiry.push({ ms: h.round(again.at - first.at, 0), from: first.consumerId, to: again.consumerId });
    await ack(again.consumerId, offset, 'accept');
    ctx.log(`share: release -> redelivered ${(out.release[rep].ms / 1000).toFixed(2)} s; lock expiry -> redelivered ${(out.lockExpiry[rep].ms / 1000).toFixed(2)} s after the first delivery (to ${again.consumerId === first.consumerId ? 'the same' : 'the other'} member)`);
  }
  for (const id of ids) await server.api.del(`/api/consumers/${id}`);
  return out;
}

async function run(ctx) {
  const reps = Number(process.env.BENCH_PROTOCOLS_REPS || 2);
  // The classic members' session like the broker's consumer-protocol session (group.consumer.session.timeout.ms).
  const sessionMs = Number(process.env.LAB_CONSUMER_SESSION_TIMEOUT_MS || 6000);
  const server = await ctx.start({ env: { LAB_CONSUMER_SESSION_TIMEOUT_MS: String(sessionMs) } });
  await h.createTopic(server, TOPIC, PARTITIONS, 3);
  await h.createTopic(server, SHARE_TOPIC, 1, 3);
  await h.waitFullIsr(server, TOPIC, 3);
  const socket = await h.connectSocket(server);
  const f = follower(socket);

  // ~20 msg/s over the 6 partitions for the whole group part.
  let producing = true;
  let n = 0;
  const producer = (async () => {
    const start = h.now();
    for (let tick = 0; producing; tick++) {
      const messages = [0, 1].map(() => ({ value: `m${n}`, partition: n++ % PARTITIONS }));
      await server.api.post(`/api/topics/${TOPIC}/messages`, { messages }).catch(() => undefined);
      const wait = start + (tick + 1) * 100 - h.now();
      if (wait > 0) await h.sleep(wait);
    }
  })();
  const runs = [];
  try {
    for (let rep = 0; rep < reps; rep++) for (const protocol of ['classic', 'consumer']) runs.push(await script(ctx, server, socket, f, protocol, rep));
  } finally {
    producing = false;
    await producer;
  }
  const redelivery = await share(ctx, server, socket, f, reps);
  socket.close();

  const metrics = [];
  for (const protocol of ['classic', 'consumer']) {
    const mine = runs.filter((r) => r.protocol === protocol);
    for (const what of ['join', 'leave', 'kill']) {
      const owned = mine.map((r) => r[what].ownedMs);
      const gaps = mine.flatMap((r) => r[what].gaps.map((g) => g.gapMs));
      const base = mine.flatMap((r) => r[what].gaps.map((g) => g.baselineMs));
      metrics.push(h.metric(`${protocol} ${what}: every partition owned again (median)`, h.median(owned) / 1000, 's',
        `call -> the last rebalance push of the change that moved something (owned set changed or partitions revoked; owned sets then a disjoint cover, quiet 2 s); ${reps} runs: ${owned.map((v) => (v / 1000).toFixed(2)).join(', ')} s`));
      metrics.push(h.metric(`${protocol} ${what}: longest a surviving member consumed nothing (max)`, Math.max(...gaps) / 1000, 's',
        `per surviving member, the longest time without a message push from the call to 1 s after the change; all: ${gaps.map((v) => (v / 1000).toFixed(2)).join(', ')} s; the same measure in the 3 s before: max ${(Math.max(...base) / 1000).toFixed(2)} s`));
    }
  }
  const rel = redelivery.release.map((r) => r.ms);
  const exp = redelivery.lockExpiry.map((r) => r.ms);
  metrics.push(h.metric('share: release -> redelivered (median)', h.median(rel) / 1000, 's', `POST .../acknowledge release -> the message push with deliveryCount 2; runs: ${rel.map((v) => (v / 1000).toFixed(2)).join(', ')} s`));
  metrics.push(h.metric('share: lock expiry -> redelivered (median)', h.median(exp) / 1000, 's', `first delivery push -> second delivery push of a record nobody acknowledged (record lock 5 s); runs: ${exp.map((v) => (v / 1000).toFixed(2)).join(', ')} s`));
  metrics.push(h.metric('classic members\' session timeout', sessionMs / 1000, 's', 'LAB_CONSUMER_SESSION_TIMEOUT_MS (the consumer protocol\'s is the broker\'s group.consumer.session.timeout.ms)'));
  return { metrics, details: { sessionTimeoutMs: sessionMs, produced: n, runs, redelivery } };
}

module.exports = { description, run };
