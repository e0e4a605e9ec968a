'use strict';
/**
 * scale: one server process holding BENCH_SCALE_GROUPS (default 20) groups of 5 consumers on as many
 * topics (5 partitions, RF 3) plus BENCH_SCALE_SOLO (default 100) consumers of their own group spread
 * over those topics = 200 consumers, created BENCH_SCALE_CONCURRENCY (default 10) at a time; then 100
 * socket.io clients, each subscribed to { events: true } and to 2 consumers (every consumer watched);
 * then a background produce of ~200 msg/s (10 messages every 50 ms, topics in turn). After it settles,
 * GET /api/runtime?reset=true every 5 s for BENCH_SCALE_SAMPLE_SECONDS (default 60) s: RSS of the server
 * process and event-loop delay p99 of each 5 s window.
 * If the server cannot hold them, the result says how far it got and what its log said.
 */
const fs = require('node:fs');
const h = require('./lib/harness');

const description = '200 consumers + 100 socket.io clients + 200 msg/s in one server: RSS and event-loop p99';

function logExcerpt(file, max = 25) {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    return lines.filter((l) => /ERROR|WARN|heap|memory|EMFILE|ECONN|timed? ?out/i.test(l)).slice(-max);
  } catch {
    return [];
  }
}

async function run(ctx) {
  const groups = Number(process.env.BENCH_SCALE_GROUPS || 20);
  const perGroup = 5;
  const solo = Number(process.env.BENCH_SCALE_SOLO || 100);
  const concurrency = Number(process.env.BENCH_SCALE_CONCURRENCY || 10);
  const socketsWanted = Number(process.env.BENCH_SCALE_SOCKETS || 100);
  const sampleSeconds = Number(process.env.BENCH_SCALE_SAMPLE_SECONDS || 60);
  const server = await ctx.start({});
  const details = { groups, perGroup, solo, concurrency, sockets: socketsWanted };
  const metrics = [];

  const topics = Array.from({ length: groups }, (_, i) => `bench-scale-${String(i).padStart(2, '0')}`);
  for (const t of topics) await h.createTopic(server, t, perGroup, 3);
  for (const t of topics) await h.waitFullIsr(server, t, 3, 120_000, 500);
  details.baseline = await server.api.ok('GET', '/api/runtime?reset=true');
  ctx.log(`baseline: RSS ${(details.baseline.rssBytes / 2 ** 20).toFixed(0)} MiB`);

  // ---- consumers ----
  const specs = [];
  for (let g = 0; g < groups; g++) for (let m = 0; m < perGroup; m++) specs.push({ topic: topics[g], groupId: `bench-scale-group-${g}`, name: `g${g}-m${m}` });
  for (let s = 0; s < solo; s++) specs.push({ topic: topics[s % groups], name: `solo-${s}` });
  const created = [];
  const createMs = [];
  const failures = [];
  let consecutiveFailures = 0;
  let gaveUp = false;
  const t0 = h.now();
  await h.pool(specs, concurrency, async (spec, i) => {
    if (gaveUp) return;
    const r = await server.api.post('/api/consumers', spec, { timeoutMs: 180_000 }).catch((e) => ({ status: 0, body: { message: e.message }, ms: null }));
    if (r.status === 201) {
      created.push(r.body);
      createMs.push(r.ms);
      consecutiveFailures = 0;
    } else {
      failures.push({ index: i, spec: spec.name, status: r.status, message: r.body && r.body.message });
      if (++consecutiveFailures >= 30) gaveUp = true;
    }
    const n = created.length + failures.length;
    if (n % 20 === 0) ctx.log(`${created.length} consumers created, ${failures.length} failed, ${((h.now() - t0) / 1000).toFixed(0)} s`);
  });
  const createAllMs = h.now() - t0;
  details.createFailures = failures.slice(0, 20);
  details.createFailureCount = failures.length;
  metrics.push(h.metric('consumers created', created.length, `of ${specs.length}`, `POST /api/consumers (answers once joined and fetching), ${concurrency} at a time; ${groups} groups of ${perGroup} on ${groups} topics of ${perGroup} partitions RF 3 + ${solo} consumers each in a group of its own`, `>= ${specs.length}`));
  metrics.push(h.metric('time to create them', createAllMs / 1000, 's', `first POST -> last answer, ${concurrency} concurrent`));
  metrics.push(h.metric('one create p50', h.percentile(createMs, 50), 'ms', 'latency of one POST /api/consumers under that concurrency'));
  metrics.push(h.metric('one create p99', h.percentile(createMs, 99), 'ms', 'as above'));
  ctx.log(`${created.length} created, ${failures.length} failed in ${(createAllMs / 1000).toFixed(1)} s`);
  if (failures.length) {
    details.logExcerpt = logExcerpt(server.logFile);
    ctx.log(`first failures: ${JSON.stringify(failures.slice(0, 3))}`);
  }
  details.afterCreate = await server.api.ok('GET', '/api/runtime');

  // ---- sockets ----
  const sockets = [];
  let pushedMessages = 0;
  let pushedEvents = 0;
  let overflows = 0;
  let socketErrors = 0;
  const s0 = h.now();
  await h.pool(Array.from({ length: socketsWanted }, (_, i) => i), 10, async (i) => {
    try {
      const s = await h.connectSocket(server);
      s.on('message', () => pushedMessages++);
      s.on('event', () => pushedEvents++);
      s.on('overflow', () => overflows++);
      sockets.push(s);
      await h.subscribe(s, { events: true });
      for (const c of [created[2 * i], created[2 * i + 1]]) if (c) await h.subscribe(s, { consumer: c.id });
    } catch (e) {
      socketErrors++;
      if (socketErrors <= 3) ctx.log(`socket ${i}: ${e.message}`);
    }
  });
  metrics.push(h.metric('socket.io clients connected', sockets.length - socketErrors, `of ${socketsWanted}`, 'each subscribed to { events: true } and to 2 consumers', `>= ${socketsWanted}`));
  ctx.log(`${sockets.length} sockets in ${((h.now() - s0) / 1000).toFixed(1)} s (${socketErrors} errors)`);

  // ---- background produce ----
  let producing = true;
  let produced = 0;
  let produceErrors = 0;
  let inflight = 0;
  const producer = (async () => {
    const start = h.now();
    for (let tick = 0; producing; tick++) {
      const wait = start + tick * 50 - h.now();
      if (wait > 1) await h.sleep(wait);
      if (inflight >= 50) {
        produceErrors++;
        continue;
      }
      inflight++;
      const topic = topics[tick % topics.length];
      const messages = Array.from({ length: 10 }, (_, i) => ({ value: `scale-${tick}-${i}-`.padEnd(100, 'x') }));
      server.api.post(`/api/topics/${topic}/messages`, { messages, acks: -1 }, { timeoutMs: 30_000 }).then((r) => {
        inflight--;
        if (r.status === 201) produced += 10;
        else produceErrors++;
      }, () => {
        inflight--;
        produceErrors++;
      });
    }
  })();

  try {
    // ---- settle ----
    const settleStart = h.now();
    await h.waitFor('every created consumer to run', async () => {
      const all = await server.api.ok('GET', '/api/consumers', undefined, { timeoutMs: 30_000 });
      return all.filter((c) => c.state === 'running').length >= created.length;
    }, 90_000, 2000).catch((e) => ctx.log(`not settled: ${e.message}`));
    await h.sleep(10_000);
    details.settleSeconds = h.round((h.now() - settleStart) / 1000, 1);

    // ---- sample ----
    const probe = h.contentionProbe();
    await server.api.ok('GET', '/api/runtime?reset=true');
    await probe.sample();
    const samples = [];
    const jvmCpu = () => h.kafkaPidsUnder(server.dataDir).reduce((n, pid) => n + (h.cpuSeconds(pid) || 0), 0);
    let jvm0 = jvmCpu();
    let mach0 = h.machineCpu();
    let cpu0 = h.cpuSeconds(server.pid);
    let own0 = process.cpuUsage();
    let at0 = h.now();
    const m0 = pushedMessages;
    const e0 = pushedEvents;
    const p0 = produced;
    const w0 = h.now();
    for (let i = 0; i < sampleSeconds / 5; i++) {
      await h.sleep(5000);
      const [r, idle] = await Promise.all([server.api.get('/api/runtime?reset=true', { timeoutMs: 30_000 }), probe.sample()]);
      const cpu1 = h.cpuSeconds(server.pid);
      const own1 = process.cpuUsage();
      const at1 = h.now();
      const serverCpuPct = cpu0 === null || cpu1 === null ? null : h.round((100 * (cpu1 - cpu0)) / ((at1 - at0) / 1000), 0);
      const benchCpuPct = h.round((100 * ((own1.user - own0.user + own1.system - own0.system) / 1e6)) / ((at1 - at0) / 1000), 0);
      const jvm1 = jvmCpu();
      const mach1 = h.machineCpu();
      const jvmCpuPct = h.round((100 * (jvm1 - jvm0)) / ((at1 - at0) / 1000), 0);
      const machineBusyPct = mach0 && mach1 ? h.round((100 * (mach1.busy - mach0.busy)) / (mach1.total - mach0.total), 0) : null;
      [cpu0, own0, at0, jvm0, mach0] = [cpu1, own1, at1, jvm1, mach1];
      if (r.status === 200) samples.push({ serverCpuPct, benchCpuPct, jvmCpuPct, machineBusyPct, idleProbeP99: idle.p99, idleProbeMax: idle.max, at: h.round((h.now() - w0) / 1000, 1), rssMiB: h.round(r.body.rssBytes / 2 ** 20, 0), heapMiB: h.round(r.body.heapUsedBytes / 2 ** 20, 0), loopP50: r.body.eventLoopDelayMs.p50, loopP99: r.body.eventLoopDelayMs.p99, loopMax: r.body.eventLoopDelayMs.max });
    }
    const windowS = (h.now() - w0) / 1000;
    probe.stop();
    details.samples = samples;
    const states = {};
    for (const c of await server.api.ok('GET', '/api/consumers', undefined, { timeoutMs: 30_000 })) states[c.state] = (states[c.state] || 0) + 1;
    details.consumerStatesAtEnd = states;
    const rss = samples.map((s) => s.rssMiB);
    const p99 = samples.map((s) => s.loopP99);
    metrics.push(h.metric('server RSS, max', Math.max(...rss), 'MiB', `GET /api/runtime?reset=true every 5 s for ${sampleSeconds} s (${samples.length} samples), process.memoryUsage().rss of the server; Kafka JVMs not included`, '<= 1024'));
    metrics.push(h.metric('event-loop delay p99, worst 5 s window', Math.max(...p99), 'ms', 'monitorEventLoopDelay (10 ms resolution) p99 of each 5 s window (reset after each sample)', '<= 50'));
    metrics.push(h.metric('event-loop delay p99, median window', h.median(p99), 'ms', 'as above, median over windows'));
    metrics.push(h.metric('idle probe loop p99, median window', h.median(samples.map((s) => s.idleProbeP99)), 'ms', 'the same measure in an idle Node process on the machine: the delay CPU contention alone causes (baseline for the two above)'));
    metrics.push(h.metric('event-loop delay max', Math.max(...samples.map((s) => s.loopMax)), 'ms', 'largest single delay seen in the sampling'));
    metrics.push(h.metric('server CPU, median window', h.median(samples.map((s) => s.serverCpuPct).filter((v) => v !== null)), '% of a core', 'user+system time of the server process (/proc/<pid>/stat) per 5 s window; 100 = one whole core'));
    metrics.push(h.metric('benchmark process CPU, median window', h.median(samples.map((s) => s.benchCpuPct)), '% of a core', 'this load generator (100 sockets + producer), which shares the 2 cores'));
    metrics.push(h.metric('Kafka JVMs CPU, median window', h.median(samples.map((s) => s.jvmCpuPct)), '% of a core', 'the 4 Kafka JVMs of this server together (pids from the data dir)'));
    metrics.push(h.metric('machine CPU busy, median window', h.median(samples.map((s) => s.machineBusyPct).filter((v) => v !== null)), '% of all cores', '/proc/stat, everything on the machine (other engineers\' work included)'));
    metrics.push(h.metric('background produce', (produced - p0) / windowS, 'msg/s', `acknowledged; ${produceErrors} errors/skips over the whole run`));
    metrics.push(h.metric('socket message pushes', (pushedMessages - m0) / windowS, '/s', 'message events received by the 100 clients together'));
    metrics.push(h.metric('socket event pushes', (pushedEvents - e0) / windowS, '/s', 'timeline event pushes received by the 100 clients together'));
    metrics.push(h.metric('consumers running at the end', states.running || 0, `of ${created.length}`, 'GET /api/consumers after sampling'));
    details.overflows = overflows;
    ctx.log(`RSS max ${Math.max(...rss)} MiB, loop p99 worst ${Math.max(...p99)} ms; consumer states ${JSON.stringify(states)}`);
  } finally {
    producing = false;
    await producer;
    for (const s of sockets) s.close();
    if (!details.logExcerpt && (failures.length || socketErrors)) details.logExcerpt = logExcerpt(server.logFile);
  }
  return { metrics, details };
}

module.exports = { description, run };
