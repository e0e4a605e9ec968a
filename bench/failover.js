'use strict';
/**
 * failover, on one server with a topic of RF 3 and 6 partitions:
 *  (a) broker restart to back-in-ISR: stop broker b (graceful), produce 6,000 messages while it is
 *      down (so it has something to catch up), then time from the POST .../nodes/b/start call until
 *      GET /api/topics/{t} shows 3 in-sync replicas on every partition;
 *  (b) leader failover: with preferred leaders in place (elect-leaders), time from the POST
 *      .../nodes/b/stop or .../nodes/b/kill call until GET /api/topics/{t} shows no partition led by b.
 * Each is repeated BENCH_FAILOVER_REPS times (default 3, brokers 0, 1, 2 in turn); medians reported.
 * GET /api/topics/{t} asks the brokers for fresh metadata; it is polled every 50 ms.
 */
const h = require('./lib/harness');

const description = 'broker restart -> back in ISR; leaders off a stopped vs a killed broker (RF 3, 6 partitions)';
const TOPIC = 'bench-failover';
const POLL_MS = 50;

async function ledBy(server, broker) {
  const d = await h.describeTopic(server, TOPIC);
  return d.partitions.filter((p) => p.leader === broker).map((p) => p.partition);
}

/** Full ISR, then preferred leaders everywhere (each broker leads 2 of the 6 partitions). */
const restoreBalance = (server) => h.restorePreferredLeaders(server, TOPIC);

/** Fires the call and, at the same time, polls until the broker leads nothing. */
async function timeLeadersOff(ctx, server, broker, how) {
  const before = await ledBy(server, broker);
  const t0 = h.now();
  let callMs = null;
  const call = server.api.ok('POST', `/api/cluster/nodes/${broker}/${how}`, {}).then(() => (callMs = h.now() - t0));
  let offMs = null;
  let polls = 0;
  while (offMs === null) {
    try {
      polls++;
      if ((await ledBy(server, broker)).length === 0) offMs = h.now() - t0;
    } catch {
      /* metadata unavailable for a moment: poll again */
    }
    if (offMs === null) {
      if (h.now() - t0 > 120_000) throw new Error(`broker ${broker} still leads partitions 120 s after ${how}`);
      await h.sleep(POLL_MS);
    }
  }
  await call;
  ctx.log(`${how} broker ${broker} (led ${before.join(',')}): no partition led by it after ${(offMs / 1000).toFixed(2)} s (call answered after ${(callMs / 1000).toFixed(2)} s)`);
  return { broker, how, ledBefore: before, leadersOffMs: h.round(offMs, 0), callMs: h.round(callMs, 0), polls };
}

async function produceSome(server, count) {
  const batch = Array.from({ length: 1000 }, (_, i) => ({ value: `catch-up-${i}-${'x'.repeat(80)}` }));
  for (let sent = 0; sent < count; sent += batch.length) {
    await server.api.ok('POST', `/api/topics/${TOPIC}/messages`, { messages: batch, acks: -1 });
  }
}

async function run(ctx) {
  const reps = Number(process.env.BENCH_FAILOVER_REPS || 3);
  const server = await ctx.start({});
  await h.createTopic(server, TOPIC, 6, 3);
  await restoreBalance(server);

  // (a) restart -> back in ISR
  const restarts = [];
  for (let i = 0; i < reps; i++) {
    const b = i % 3;
    await h.waitFullIsr(server, TOPIC, 3, 180_000, 200);
    await server.api.ok('POST', `/api/cluster/nodes/${b}/stop`, {});
    await produceSome(server, 6000);
    const t0 = h.now();
    await server.api.ok('POST', `/api/cluster/nodes/${b}/start`, {});
    const startCallMs = h.now() - t0;
    await h.waitFullIsr(server, TOPIC, 3, 180_000, POLL_MS);
    const isrMs = h.now() - t0;
    restarts.push({ broker: b, startCallMs: h.round(startCallMs, 0), backInIsrMs: h.round(isrMs, 0) });
    ctx.log(`restart broker ${b}: start call answered after ${(startCallMs / 1000).toFixed(2)} s, full ISR after ${(isrMs / 1000).toFixed(2)} s`);
  }

  // (b) leaders off a stopped vs a killed broker
  const stops = [];
  const kills = [];
  for (let i = 0; i < reps; i++) {
    const b = i % 3;
    for (const how of ['stop', 'kill']) {
      await restoreBalance(server);
      const r = await timeLeadersOff(ctx, server, b, how);
      (how === 'stop' ? stops : kills).push(r);
      await server.api.ok('POST', `/api/cluster/nodes/${b}/start`, {});
    }
  }
  await restoreBalance(server);

  const ms = (rows, k) => rows.map((r) => r[k]);
  const list = (v) => v.map((x) => (x / 1000).toFixed(2)).join(', ');
  const metrics = [
    h.metric('broker restart -> full ISR (median)', h.median(ms(restarts, 'backInIsrMs')) / 1000, 's',
      `POST /api/cluster/nodes/{b}/start called -> every partition shows isr of 3 in GET /api/topics/{t} (polled every ${POLL_MS} ms); 6,000 messages produced while b was down; brokers 0..2, ${reps} runs: ${list(ms(restarts, 'backInIsrMs'))} s`),
    h.metric('  of which the start call', h.median(ms(restarts, 'startCallMs')) / 1000, 's', 'the blocking POST .../start until the broker is registered (median)'),
    h.metric('leaders off a STOPPED broker (median)', h.median(ms(stops, 'leadersOffMs')) / 1000, 's',
      `POST /api/cluster/nodes/{b}/stop called -> no partition led by b in GET /api/topics/{t} (polled every ${POLL_MS} ms, concurrently with the call); preferred leaders before; ${reps} runs: ${list(ms(stops, 'leadersOffMs'))} s`),
    h.metric('leaders off a KILLED broker (median)', h.median(ms(kills, 'leadersOffMs')) / 1000, 's',
      `as above with POST .../kill (SIGKILL, no controlled shutdown: the controller fences it after broker.session.timeout.ms=6000); ${reps} runs: ${list(ms(kills, 'leadersOffMs'))} s`),
  ];
  return { metrics, details: { topic: { name: TOPIC, partitions: 6, replicationFactor: 3 }, pollMs: POLL_MS, restarts, stops, kills } };
}

module.exports = { description, run };
