'use strict';
/**
 * rebalance, on a server run with LAB_CONSUMER_SESSION_TIMEOUT_MS (default here 10000):
 *  (a) 3 API consumers in one group on a 6-partition topic, a socket.io client subscribed to
 *      { group: groupId }. Time from POST /api/consumers/{id}/stop of one to the `rebalance` pushes of
 *      BOTH survivors (goal <= 3 s); then from POST .../kill of a second to the last survivor's push
 *      (about the session timeout: a killed member sends no LeaveGroup).
 *  (b) broker kill -> first message consumed from a partition it led: one API consumer on a topic of
 *      3 partitions, RF 3, its messages pushed over socket.io; one HTTP produce every 50 ms to that one
 *      partition (open loop), each value `<seq>|<send time>`. Time from the POST .../nodes/{leader}/kill
 *      call until the socket delivers the first message SENT after the call.
 * Each repeated BENCH_REBALANCE_REPS times (default 3); medians reported.
 */
const h = require('./lib/harness');

const description = 'consumer stop/kill -> group rebalance pushes; broker kill -> first message from its partition';
const GROUP_TOPIC = 'bench-rebalance';
const BROKER_TOPIC = 'bench-rebalance-broker';

function assignedPartitions(c) {
  return (c.assignment || []).reduce((n, a) => n + a.partitions.length, 0);
}

async function groupRound(ctx, server, socket, pushes, rep) {
  const groupId = `bench-group-${rep}`;
  await h.subscribe(socket, { group: groupId });
  const cs = [];
  for (let i = 0; i < 3; i++) {
    cs.push(await server.api.ok('POST', '/api/consumers', { topic: GROUP_TOPIC, groupId, name: `bench-${rep}-${i}` }));
  }
  // Stable: the three together hold the 6 partitions, each some, and no push for 1 s.
  await h.waitFor('the group to share the 6 partitions', async () => {
    const views = await Promise.all(cs.map((c) => server.api.ok('GET', `/api/consumers/${c.id}`)));
    const ok = views.every((v) => v.state === 'running' && assignedPartitions(v) > 0) && views.reduce((n, v) => n + assignedPartitions(v), 0) === 6;
    const quiet = pushes.length === 0 || h.now() - pushes[pushes.length - 1].at > 1000;
    return ok && quiet;
  }, 60_000, 200);

  const pushesAfter = (mark, t0, ids) => pushes.slice(mark).filter((p) => p.groupId === groupId && ids.includes(p.consumerId) && p.at > t0);

  // stop c2: a clean LeaveGroup
  let mark = pushes.length;
  let t0 = h.now();
  await server.api.ok('POST', `/api/consumers/${cs[2].id}/stop`, {});
  const stopCallMs = h.now() - t0;
  const survivors = [cs[0].id, cs[1].id];
  const afterStop = await h.waitFor('both survivors\' rebalance pushes after the stop', () => {
    const got = pushesAfter(mark, t0, survivors);
    return survivors.every((id) => got.some((p) => p.consumerId === id)) ? got : undefined;
  }, 60_000, 10);
  const firstStop = Math.min(...afterStop.map((p) => p.at)) - t0;
  const allStop = Math.max(...survivors.map((id) => afterStop.find((p) => p.consumerId === id).at)) - t0;
  ctx.log(`group ${groupId}: stop -> first push ${(firstStop / 1000).toFixed(2)} s, both survivors ${(allStop / 1000).toFixed(2)} s (call ${(stopCallMs / 1000).toFixed(2)} s)`);

  // wait for quiet again, then kill c1: no LeaveGroup, the coordinator waits out the session
  await h.waitFor('the group to settle after the stop', () => h.now() - pushes[pushes.length - 1].at > 1000, 30_000, 100);
  mark = pushes.length;
  t0 = h.now();
  await server.api.ok('POST', `/api/consumers/${cs[1].id}/kill`, {});
  const afterKill = await h.waitFor('the survivor\'s rebalance push after the kill', () => {
    const got = pushesAfter(mark, t0, [cs[0].id]);
    return got.length ? got : undefined;
  }, 120_000, 10);
  const killMs = afterKill[0].at - t0;
  ctx.log(`group ${groupId}: kill -> survivor's push ${(killMs / 1000).toFixed(2)} s`);

  for (const c of cs) await server.api.del(`/api/consumers/${c.id}`);
  return { groupId, stopFirstMs: h.round(firstStop, 0), stopAllMs: h.round(allStop, 0), stopCallMs: h.round(stopCallMs, 0), killMs: h.round(killMs, 0) };
}

async function brokerRound(ctx, server, consumerId, socket, rep) {
  await h.restorePreferredLeaders(server, BROKER_TOPIC);
  const d = await h.describeTopic(server, BROKER_TOPIC);
  const partition = rep % d.partitions.length;
  const leader = d.partitions.find((p) => p.partition === partition).leader;

  let seq = 0;
  let mark = 0;
  let killAt = Infinity;
  let firstAfter = null;
  let firstAckAfter = null;
  let failedAfter = 0;
  let acked = 0;
  const onMessage = (m) => {
    if (m.partition !== partition) return;
    const [, sent] = String(m.value).split('|');
    if (firstAfter === null && Number(sent) > killAt) firstAfter = { at: h.now(), value: m.value };
  };
  socket.on('message', onMessage);
  let producing = true;
  const inflight = new Set();
  const producer = (async () => {
    const start = h.now();
    for (let tick = 0; producing; tick++) {
      const wait = start + tick * 50 - h.now();
      if (wait > 1) await h.sleep(wait);
      const sentAt = h.now();
      const p = server.api.post(`/api/topics/${BROKER_TOPIC}/messages`, { messages: [{ value: `${seq++}|${sentAt.toFixed(3)}`, partition }], acks: -1 }, { timeoutMs: 30_000 })
        .then((r) => {
          if (r.status === 201) {
            acked++;
            if (sentAt > killAt && firstAckAfter === null) firstAckAfter = h.now();
          } else if (sentAt > killAt) failedAfter++;
        }, () => {
          if (sentAt > killAt) failedAfter++;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
  })();
  try {
    await h.sleep(2000); // steady flow first
    mark = await eventMark(server);
    killAt = h.now();
    await server.api.ok('POST', `/api/cluster/nodes/${leader}/kill`, {});
    await h.waitFor('the first message sent after the kill on the socket', () => firstAfter !== null, 120_000, 10);
  } finally {
    producing = false;
    await producer;
    await Promise.allSettled([...inflight]);
    socket.off('message', onMessage);
  }
  const ms = firstAfter.at - killAt;
  const ackMs = firstAckAfter === null ? null : firstAckAfter - killAt;
  ctx.log(`kill broker ${leader} (leader of ${BROKER_TOPIC}/${partition}): first post-kill message delivered after ${(ms / 1000).toFixed(2)} s (first post-kill produce acknowledged after ${ackMs === null ? '-' : (ackMs / 1000).toFixed(2)} s; ${failedAfter} post-kill produces failed)`);
  // What the timeline saw in between (leader change, consumer crash/restart, rebalances), as seconds after the kill.
  const evs = await server.api.ok('GET', `/api/events?after=${mark}&limit=5000`);
  const timeline = evs.events
    .filter((e) => /^(node\.|partition\.leader|consumer\.|group\.)/.test(e.type))
    .filter((e) => e.type !== 'partition.leader-changed' || e.topic === BROKER_TOPIC)
    .map((e) => `${((Date.parse(e.time) - killAt) / 1000).toFixed(2)}s ${e.type}${e.topic ? ` ${e.topic}/${e.partition} ${e.from}->${e.to}` : ''}${e.consumerId ? ` ${e.consumerId}` : ''}`);
  await server.api.ok('POST', `/api/cluster/nodes/${leader}/start`, {});
  return { partition, killedLeader: leader, firstMessageMs: h.round(ms, 0), firstAckMs: h.round(ackMs, 0), failedProducesAfterKill: failedAfter, produced: seq, acked, timeline };
}

/** The newest event seq now. */
async function eventMark(server) {
  let after = 0;
  for (;;) {
    const r = await server.api.ok('GET', `/api/events?after=${after}&limit=5000`);
    if (r.events.length === 0) return after;
    after = r.next;
  }
}

async function run(ctx) {
  const reps = Number(process.env.BENCH_REBALANCE_REPS || 3);
  const sessionMs = Number(process.env.LAB_CONSUMER_SESSION_TIMEOUT_MS || 10000);
  const server = await ctx.start({ env: { LAB_CONSUMER_SESSION_TIMEOUT_MS: String(sessionMs) } });
  await h.createTopic(server, GROUP_TOPIC, 6, 3);
  await h.createTopic(server, BROKER_TOPIC, 3, 3);
  await h.waitFullIsr(server, GROUP_TOPIC, 3);

  const socket = await h.connectSocket(server);
  const pushes = [];
  socket.on('rebalance', (e) => pushes.push({ at: h.now(), groupId: e.groupId, consumerId: e.consumerId, generation: e.generation }));
  const groups = [];
  for (let rep = 0; rep < reps; rep++) groups.push(await groupRound(ctx, server, socket, pushes, rep));

  const consumer = await server.api.ok('POST', '/api/consumers', { topic: BROKER_TOPIC, name: 'bench-broker-kill' });
  await h.subscribe(socket, { consumer: consumer.id });
  const brokers = [];
  for (let rep = 0; rep < reps; rep++) brokers.push(await brokerRound(ctx, server, consumer.id, socket, rep));
  socket.close();

  const col = (rows, k) => rows.map((r) => r[k]).filter((v) => v !== null);
  const list = (v) => v.map((x) => (x / 1000).toFixed(2)).join(', ');
  const metrics = [
    h.metric('consumer stop -> survivors rebalanced (median)', h.median(col(groups, 'stopAllMs')) / 1000, 's',
      `POST /api/consumers/{id}/stop called -> socket 'rebalance' push (subscription { group }) of the LAST of the 2 survivors; 3 consumers, 6 partitions; ${reps} runs: ${list(col(groups, 'stopAllMs'))} s`, '<= 3'),
    h.metric('consumer kill -> survivor rebalanced (median)', h.median(col(groups, 'killMs')) / 1000, 's',
      `POST /api/consumers/{id}/kill called -> the survivor's 'rebalance' push; LAB_CONSUMER_SESSION_TIMEOUT_MS=${sessionMs}; ${reps} runs: ${list(col(groups, 'killMs'))} s`),
    h.metric('consumer session timeout setting', sessionMs / 1000, 's', 'LAB_CONSUMER_SESSION_TIMEOUT_MS the server ran with'),
    h.metric('broker kill -> first new message consumed (median)', h.median(col(brokers, 'firstMessageMs')) / 1000, 's',
      `POST /api/cluster/nodes/{leader}/kill called -> socket delivers the first message SENT after the call, of the partition that broker led; one HTTP produce (acks=-1) every 50 ms to that partition; ${reps} runs: ${list(col(brokers, 'firstMessageMs'))} s`),
    h.metric('  of which: first post-kill produce acknowledged (median)', h.median(col(brokers, 'firstAckMs')) / 1000, 's', 'kill call -> the first 201 for a message sent after it'),
  ];
  return { metrics, details: { sessionTimeoutMs: sessionMs, groups, brokerKills: brokers } };
}

module.exports = { description, run };
