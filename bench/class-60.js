'use strict';
/**
 * class-60: a class of BENCH_CLASS_STUDENTS (60) students at once on one server with the default 1+3
 * cluster, each doing what Lab A asks, with their own token:
 *   - POST /api/join { code, name } (the code from the instructor's GET /api/class),
 *   - POST /api/topics lab-a (4 partitions, RF 3): the SAME name for everyone, kept apart by namespaces,
 *   - a group of 3 consumers (groupId lab-a-group, started together) and one consumer of its own group,
 *   - one socket.io client per consumer (4 per student), subscribed with { consumer: id },
 *   - BENCH_CLASS_RATE (5) msg/s, one message per POST (a loop in a terminal), open loop, each value
 *     `<student>|<seq>|<send time>`, and a GET /api/consumers every 5 s (the web page's view).
 * Students are set up BENCH_CLASS_CONCURRENCY (10) at a time. Once every consumer runs, the class idles
 * BENCH_CLASS_IDLE_SECONDS (20: what 240 polling consumers cost alone), then production goes on for a
 * 10 s warm-up and a BENCH_CLASS_SECONDS (60) s window; from the idle phase on the server is sampled
 * every 5 s with GET /api/runtime?reset=true (RSS, event-loop p99) and the Kafka JVMs' CPU is read from
 * /proc (the window's figures are the samples within it). A student with 5 produce requests unanswered
 * skips a tick (counted as a failure) rather than opening ever more connections.
 * Reported: those, API request p99 (as the students' clients saw them), produce -> socket delivery p99
 * (every message reaches two sockets: the solo consumer's and one group member's), and every failure.
 */
const fs = require('node:fs');
const h = require('./lib/harness');

const description = '60 students at once: join, a 4-partition RF-3 topic, a 3-member group + a solo consumer with a socket each, 5 msg/s each';

const TOPIC = 'lab-a';
const GROUP = 'lab-a-group';

/** Every request a student's client made: what, when, how long, with what status. */
class Requests {
  constructor() {
    this.all = [];
    /** Requests sent and not yet answered (each times out after 30 s at most). */
    this.pending = 0;
  }

  /** A student's API client that notes each request under `kind(method, path)`. */
  client(server, token) {
    const api = h.makeApi(server.url, token);
    const note = (kind, p) => {
      const sentAt = h.now();
      this.pending++;
      return p.finally(() => this.pending--).then(
        (r) => (this.all.push({ kind, sentAt, at: h.now(), ms: r.ms, status: r.status }), r),
        (e) => (this.all.push({ kind, sentAt, at: h.now(), ms: null, status: 0, error: e.message }), { status: 0, body: { message: e.message }, ms: null }),
      );
    };
    return {
      close: () => api.close(),
      post: (kind, p, body, o) => note(kind, api.post(p, body, o)),
      get: (kind, p, o) => note(kind, api.get(p, o)),
    };
  }

  /** The requests SENT within [from, to] (a backlog sent before the window does not count in it). */
  in(from, to, kind) {
    return this.all.filter((r) => r.sentAt >= from && r.sentAt <= to && (!kind || r.kind === kind));
  }
}

/**
 * CPU seconds per Kafka node and per thread of each (from /proc/<pid>/task/<tid>/stat; a JVM names its
 * threads, cut to 15 characters in comm): which node and which of its threads take the cores.
 */
function nodeThreads(dataDir) {
  const out = {};
  const nodes = require('node:path').join(dataDir, 'cluster', 'nodes');
  for (const id of fs.existsSync(nodes) ? fs.readdirSync(nodes) : []) {
    let pid;
    try {
      pid = Number(fs.readFileSync(`${nodes}/${id}/pid`, 'utf8'));
      const threads = {};
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
          const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/-?\d+$/, '');
          threads[comm] = (threads[comm] || 0) + (h.cpuSeconds(`${pid}/task/${tid}`) || 0);
        } catch {
          /* the thread ended */
        }
      }
      out[id] = threads;
    } catch {
      /* not running */
    }
  }
  return out;
}

/** Per node, its CPU % over `secs` and its three busiest kinds of thread. */
function nodeThreadShares(a, b, secs) {
  const out = {};
  for (const [id, threads] of Object.entries(b)) {
    const before = a[id] || {};
    const d = Object.entries(threads).map(([name, t]) => [name, Math.round((100 * (t - (before[name] || 0))) / secs)]).filter(([, v]) => v > 0);
    out[id] = { total: d.reduce((n, [, v]) => n + v, 0), top: d.sort((x, y) => y[1] - x[1]).slice(0, 3).map(([n, v]) => `${n} ${v}%`).join(', ') };
  }
  return out;
}

function logExcerpt(file, max = 25) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => /ERROR|WARN|heap|memory|EMFILE|ECONN|timed? ?out/i.test(l)).slice(-max);
  } catch {
    return [];
  }
}

async function run(ctx) {
  const count = Number(process.env.BENCH_CLASS_STUDENTS || 60);
  const rate = Number(process.env.BENCH_CLASS_RATE || 5);
  const windowSeconds = Number(process.env.BENCH_CLASS_SECONDS || 60);
  const concurrency = Number(process.env.BENCH_CLASS_CONCURRENCY || 10);
  const warmupMs = 10_000;
  const idleSeconds = Number(process.env.BENCH_CLASS_IDLE_SECONDS || 20);
  const server = await ctx.start({});
  const details = { students: count, ratePerStudent: rate, windowSeconds, concurrency };
  const metrics = [];
  const failures = [];
  const fail = (what, student, message) => {
    failures.push({ what, student, message });
    if (failures.length <= 10) ctx.log(`FAILED ${what} (${student}): ${message}`);
  };
  const requests = new Requests();

  const settings = await server.api.ok('GET', '/api/class');
  if (!settings.joinOpen) await server.api.ok('PATCH', '/api/class', { joinOpen: true });
  details.quotas = settings.quotas;
  details.baseline = await server.api.ok('GET', '/api/runtime?reset=true');

  // ---- the students arrive ----
  const students = [];
  const deliveries = []; // { kind, latency, at } of messages sent in the window
  const seen = new Map(); // `${student}|${seq}` -> how many sockets delivered it
  let windowFrom = Infinity;
  let windowTo = Infinity;
  let socketDrops = 0;
  const t0 = h.now();
  await h.pool(Array.from({ length: count }, (_, i) => i), concurrency, async (i) => {
    const name = `Student ${String(i + 1).padStart(2, '0')}`;
    const joined = await h.makeApi(server.url, null).post('/api/join', { code: settings.joinCode, name }, { auth: false }).catch((e) => ({ status: 0, body: { message: e.message } }));
    requests.all.push({ kind: 'join', sentAt: h.now() - (joined.ms ?? 0), at: h.now(), ms: joined.ms ?? null, status: joined.status });
    if (joined.status !== 201) return fail('join', name, `${joined.status} ${joined.body && joined.body.message}`);
    const s = { i, name, id: joined.body.id, token: joined.body.token, api: requests.client(server, joined.body.token), consumers: [], sockets: [], seq: 0 };
    students.push(s);
    const topic = await s.api.post('topic create', '/api/topics', { name: TOPIC, partitions: 4, replicationFactor: 3 }, { timeoutMs: 60_000 });
    if (topic.status !== 201) return fail('topic create', name, `${topic.status} ${topic.body && topic.body.message}`);
    const specs = [0, 1, 2].map((m) => ({ kind: 'group', body: { topic: TOPIC, groupId: GROUP, name: `member-${m}` } }));
    specs.push({ kind: 'solo', body: { topic: TOPIC, name: 'solo' } });
    await Promise.all(specs.map(async (spec) => {
      const r = await s.api.post('consumer create', '/api/consumers', spec.body, { timeoutMs: 120_000 });
      if (r.status !== 201) return fail('consumer create', name, `${r.status} ${r.body && r.body.message}`);
      s.consumers.push({ id: r.body.id, kind: spec.kind });
      try {
        const socket = await h.connectSocket(server, s.token);
        s.sockets.push(socket);
        socket.on('message', (m) => {
          const [who, seq, sentAt] = String(m.value).split('|');
          const key = `${who}|${seq}`;
          seen.set(key, (seen.get(key) || 0) + 1);
          const at = h.now();
          if (Number(sentAt) >= windowFrom && Number(sentAt) <= windowTo) deliveries.push({ kind: spec.kind, latency: at - Number(sentAt) });
        });
        socket.on('disconnect', (reason) => {
          if (reason !== 'io client disconnect') {
            socketDrops++;
            fail('socket dropped', name, reason);
          }
        });
        await h.subscribe(socket, { consumer: r.body.id });
      } catch (e) {
        fail('socket', name, e.message);
      }
    }));
    const n = students.length;
    if (n % 10 === 0) ctx.log(`${n} students set up, ${failures.length} failures, ${((h.now() - t0) / 1000).toFixed(0)} s`);
  });
  const setupMs = h.now() - t0;
  const consumersWanted = count * 4;
  const consumersCreated = students.reduce((n, s) => n + s.consumers.length, 0);
  const socketsOpen = students.reduce((n, s) => n + s.sockets.length, 0);
  ctx.log(`set up in ${(setupMs / 1000).toFixed(1)} s: ${students.length} students, ${consumersCreated} consumers, ${socketsOpen} sockets`);
  metrics.push(h.metric('students joined', students.length, `of ${count}`, `POST /api/join with the class code, ${concurrency} students set up at a time`, `>= ${count}`));
  metrics.push(h.metric('consumers created', consumersCreated, `of ${consumersWanted}`, 'POST /api/consumers (answers once joined and fetching): 3 in group lab-a-group started together + 1 solo per student', `>= ${consumersWanted}`));
  metrics.push(h.metric('sockets subscribed', socketsOpen, `of ${consumersWanted}`, 'one socket.io client per consumer with the student token, subscribed { consumer: id }', `>= ${consumersWanted}`));
  metrics.push(h.metric('time to set up the class', setupMs / 1000, 's', 'first join -> last socket subscribed'));
  for (const kind of ['join', 'topic create', 'consumer create']) {
    metrics.push(h.metric(`${kind} p99 (setup)`, h.percentile(requests.all.filter((r) => r.kind === kind && r.ms !== null).map((r) => r.ms), 99), 'ms', `client-side, while ${concurrency} students set up at once`));
  }

  await h.waitFor('every consumer running', async () => {
    const all = await server.api.ok('GET', '/api/consumers', undefined, { timeoutMs: 30_000 });
    return all.filter((c) => c.state === 'running').length >= consumersCreated;
  }, 120_000, 2000).catch((e) => fail('settle', '-', e.message));

  // ---- the server, sampled every 5 s from here on (a stall shows in the log at once) ----
  let sent = 0;
  let acked = 0;
  let skipped = 0;
  const ackedKeys = [];
  const probe = h.contentionProbe();
  const samples = [];
  let sampling = true;
  const jvmCpu = () => h.kafkaPidsUnder(server.dataDir).reduce((n, pid) => n + (h.cpuSeconds(pid) || 0), 0);
  const snap = () => ({ threads: nodeThreads(server.dataDir), jvm: jvmCpu(), cpu: h.cpuSeconds(server.pid), own: process.cpuUsage(), mach: h.machineCpu(), at: h.now() });
  const sampler = (async () => {
    await server.api.get('/api/runtime?reset=true', { timeoutMs: 10_000 }).catch(() => undefined);
    await probe.sample();
    let a = snap();
    while (sampling) {
      await h.sleep(5000);
      const [r, idle] = await Promise.all([
        server.api.get('/api/runtime?reset=true', { timeoutMs: 10_000 }).catch((e) => ({ status: 0, body: { message: e.message } })),
        probe.sample(),
      ]);
      const b = snap();
      const secs = (b.at - a.at) / 1000;
      const sample = {
        at: b.at,
        rssMiB: r.status === 200 ? h.round(r.body.rssBytes / 2 ** 20, 0) : null,
        loopP99: r.status === 200 ? r.body.eventLoopDelayMs.p99 : null,
        loopMax: r.status === 200 ? r.body.eventLoopDelayMs.max : null,
        runtimeError: r.status === 200 ? undefined : `${r.status} ${r.body && r.body.message}`,
        idleProbeP99: idle.p99,
        jvmCpuPct: h.round((100 * (b.jvm - a.jvm)) / secs, 0),
        nodes: nodeThreadShares(a.threads, b.threads, secs),
        serverCpuPct: a.cpu === null || b.cpu === null ? null : h.round((100 * (b.cpu - a.cpu)) / secs, 0),
        benchCpuPct: h.round((100 * (b.own.user - a.own.user + b.own.system - a.own.system)) / 1e6 / secs, 0),
        machineBusyPct: a.mach && b.mach ? h.round((100 * (b.mach.busy - a.mach.busy)) / (b.mach.total - a.mach.total), 0) : null,
      };
      samples.push(sample);
      ctx.log(`RSS ${sample.rssMiB} MiB, loop p99 ${sample.loopP99} ms (idle probe ${idle.p99}), server ${sample.serverCpuPct}%, JVMs ${sample.jvmCpuPct}%, machine ${sample.machineBusyPct}%, ${acked} acked, ${skipped} skipped, ${failures.length} failures${sample.runtimeError ? `; GET /api/runtime: ${sample.runtimeError}` : ''}`);
      ctx.log(`  nodes: ${Object.entries(sample.nodes).map(([id, n]) => `${id}: ${n.total}% (${n.top})`).join('; ')}`);
      a = b;
    }
  })();

  // ---- the class idle: every consumer polling, nothing produced: what the class costs by itself ----
  const idleFrom = h.now();
  await h.sleep(idleSeconds * 1000 + 500);
  const idleTo = h.now();

  // ---- production: each student's loop, open (a slow answer does not hold back the next), but a
  // student with MAX_WAITING requests unanswered skips a tick, as a person would wait for a stuck terminal ----
  const MAX_WAITING = 5;
  let producing = true;
  // An outside look: GET /api/health on a new connection every 500 ms, to tell a server that takes
  // requests in slowly from requests waiting in the students' own clients.
  const healthMs = [];
  const health = (async () => {
    const http = require('node:http');
    while (producing) {
      const t = h.now();
      const ok = await new Promise((resolve) => {
        const req = http.get(`${server.url}/api/health`, { agent: false, timeout: 30_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => resolve(false));
      });
      if (t >= windowFrom && t <= windowTo) healthMs.push(ok ? h.now() - t : 30_000);
      await h.sleep(500);
    }
  })();
  const everyMs = 1000 / rate;
  const loops = students.map((s) => (async () => {
    const start = h.now() + Math.random() * everyMs;
    let nextPoll = start + Math.random() * 5000;
    s.waiting = 0;
    for (let tick = 0; producing; tick++) {
      const wait = start + tick * everyMs - h.now();
      if (wait > 1) await h.sleep(wait);
      if (!producing) break;
      if (s.waiting >= MAX_WAITING) {
        skipped++;
        continue;
      }
      const seq = ++s.seq;
      const sentAt = h.now();
      sent++;
      s.waiting++;
      s.api.post('produce', `/api/topics/${TOPIC}/messages`, { value: `${s.i}|${seq}|${sentAt.toFixed(3)}` }, { timeoutMs: 30_000 }).then((r) => {
        s.waiting--;
        if (r.status === 201) {
          acked++;
          if (sentAt >= windowFrom && sentAt <= windowTo) ackedKeys.push(`${s.i}|${seq}`);
        } else fail('produce', s.name, r.status ? `${r.status} ${r.body && r.body.message}` : r.body.message);
      });
      if (h.now() >= nextPoll) {
        nextPoll += 5000;
        s.api.get('list consumers', '/api/consumers', { timeoutMs: 30_000 }).then((r) => r.status !== 200 && fail('list consumers', s.name, r.status ? `${r.status}` : r.body.message));
      }
    }
  })());

  try {
    await h.sleep(warmupMs);
    windowFrom = h.now();
    await h.sleep(windowSeconds * 1000);
    windowTo = h.now();
    // Let what was sent in the window arrive, then stop.
    producing = false;
    await Promise.all([...loops, health]);
    // Every request sent in the window is in the figures: the slowest too (they time out at 30 s).
    await h.waitFor('every request answered', () => requests.pending === 0, 35_000, 200).catch(() => undefined);
    const expected = () => ackedKeys.filter((k) => (seen.get(k) || 0) < 2).length;
    await h.waitFor('every acknowledged message of the window on two sockets', () => expected() === 0, 20_000, 200).catch(() => undefined);
    const missing = ackedKeys.filter((k) => (seen.get(k) || 0) < 2);
    const doubled = ackedKeys.filter((k) => (seen.get(k) || 0) > 2).length;
    if (missing.length) fail('delivery', '-', `${missing.length} of ${ackedKeys.length} acknowledged messages of the window did not reach both sockets within 20 s (first: ${missing.slice(0, 3).join(', ')})`);
    if (skipped) fail('produce skipped', '-', `${skipped} ticks skipped: the student had ${MAX_WAITING} produce requests unanswered`);

    const states = {};
    const all = await server.api.get('/api/consumers', { timeoutMs: 30_000 }).catch((e) => ({ status: 0, body: e.message }));
    if (all.status === 200) for (const c of all.body) states[c.state] = (states[c.state] || 0) + 1;
    details.consumerStatesAtEnd = states;
    if ((states.running || 0) < consumersCreated) fail('consumers', '-', `at the end ${all.status === 200 ? JSON.stringify(states) : `GET /api/consumers: ${all.body}`}`);

    const idle = samples.filter((x) => x.at >= idleFrom && x.at <= idleTo);
    metrics.push(h.metric('idle class: server CPU, median', h.median(idle.map((x) => x.serverCpuPct).filter((v) => v !== null)), '% of a core', `the ${idleSeconds} s before the first message (${idle.length} samples of 5 s): every consumer polling, nothing produced`));
    metrics.push(h.metric('idle class: Kafka JVMs CPU, median', h.median(idle.map((x) => x.jvmCpuPct)), '% of a core', 'as above'));
    metrics.push(h.metric('idle class: event-loop delay p99, median', h.median(idle.map((x) => x.loopP99).filter((v) => v !== null)), 'ms', 'as above'));
    const inWindow = samples.filter((x) => x.at >= windowFrom && x.at <= windowTo + 1000);
    const win = requests.in(windowFrom, windowTo);
    const ms = (rs) => rs.map((r) => (r.ms === null ? 30_000 : r.ms)); // a request that timed out counts as 30 s
    const produce = requests.in(windowFrom, windowTo, 'produce');
    const rss = inWindow.map((x) => x.rssMiB).filter((v) => v !== null);
    const p99s = inWindow.map((x) => x.loopP99).filter((v) => v !== null);
    const lat = deliveries.map((d) => d.latency);
    const windowS = (windowTo - windowFrom) / 1000;
    const max = (xs) => (xs.length ? Math.max(...xs) : null);
    metrics.push(h.metric('server RSS, max', max(rss), 'MiB', `GET /api/runtime?reset=true every 5 s over the ${windowSeconds} s window (${inWindow.length} samples, ${inWindow.length - rss.length} unanswered), process.memoryUsage().rss of the server (Kafka JVMs not included)`, '<= 1536'));
    metrics.push(h.metric('event-loop delay p99, worst 5 s window', max(p99s), 'ms', 'monitorEventLoopDelay (10 ms resolution) p99 of each 5 s window'));
    metrics.push(h.metric('event-loop delay p99, median window', h.median(p99s), 'ms', 'as above, median over the windows'));
    metrics.push(h.metric('idle probe loop p99, median window', h.median(inWindow.map((x) => x.idleProbeP99)), 'ms', 'an idle Node process on the machine measured the same way: what CPU contention alone costs'));
    metrics.push(h.metric('API request p99', h.percentile(ms(win), 99), 'ms', `every request of the students' clients in the window (${win.length}: produce, one message each, and GET /api/consumers every 5 s), client-side round trip; a timeout counts as 30 s`, '<= 250'));
    metrics.push(h.metric('API request p50', h.percentile(ms(win), 50), 'ms', 'as above'));
    metrics.push(h.metric('  produce request p99', h.percentile(ms(produce), 99), 'ms', 'POST /api/topics/lab-a/messages, one message, acks=-1'));
    metrics.push(h.metric('  GET /api/consumers p99', h.percentile(ms(requests.in(windowFrom, windowTo, 'list consumers')), 99), 'ms', "a student's own 4 consumers"));
    metrics.push(h.metric('  GET /api/health p99 (new connection)', h.percentile(healthMs, 99), 'ms', `an outside probe every 500 ms on a fresh connection (${healthMs.length}), not a student's request`));
    metrics.push(h.metric('delivery p99', h.percentile(lat, 99), 'ms', `socket 'message' receipt - send time in the value (one clock), messages sent in the window, both sockets each reaches (${lat.length} deliveries)`, '<= 500'));
    metrics.push(h.metric('delivery p50', h.percentile(lat, 50), 'ms', 'as above'));
    metrics.push(h.metric('  via the solo consumer, p99', h.percentile(deliveries.filter((d) => d.kind === 'solo').map((d) => d.latency), 99), 'ms', 'as above'));
    metrics.push(h.metric('  via a group member, p99', h.percentile(deliveries.filter((d) => d.kind === 'group').map((d) => d.latency), 99), 'ms', 'as above'));
    metrics.push(h.metric('produce achieved', produce.filter((r) => r.status === 201).length / windowS, 'msg/s', `acknowledged in the window (${count} students x ${rate} msg/s wanted)`, `>= ${count * rate * 0.95}`));
    metrics.push(h.metric('Kafka JVMs CPU, median window', h.median(inWindow.map((x) => x.jvmCpuPct)), '% of a core', "the cluster's JVMs (pids from the data dir) utime+stime from /proc/<pid>/stat per 5 s window"));
    metrics.push(h.metric('Kafka JVMs CPU, max window', max(inWindow.map((x) => x.jvmCpuPct)), '% of a core', 'as above'));
    metrics.push(h.metric('server CPU, median window', h.median(inWindow.map((x) => x.serverCpuPct).filter((v) => v !== null)), '% of a core', 'the Node server process, /proc/<pid>/stat'));
    metrics.push(h.metric('load generator CPU, median window', h.median(inWindow.map((x) => x.benchCpuPct)), '% of a core', `this process (${socketsOpen} sockets, ${count * rate} requests/s), on the same 2 cores`));
    metrics.push(h.metric('machine CPU busy, median window', h.median(inWindow.map((x) => x.machineBusyPct).filter((v) => v !== null)), '% of all cores', "/proc/stat: everything on the machine, other sessions' work included"));
    metrics.push(h.metric('messages not delivered to both sockets', missing.length, 'msgs', `of ${ackedKeys.length} acknowledged in the window, 20 s grace`, '<= 0'));
    metrics.push(h.metric('messages delivered more than twice', doubled, 'msgs', 'a rebalance re-reading uncommitted messages would show here'));
    metrics.push(h.metric('failures', failures.length, '', `joins, creates, sockets, produce non-201 or timed out, skipped ticks, socket drops (${socketDrops}), deliveries, consumers not running: details.failuresByKind`, '<= 0'));
    // When the slow requests were sent: per 5 s of the window, how many, median and slowest.
    details.requestsBy5s = [];
    for (let t = windowFrom; t < windowTo; t += 5000) {
      const sentThen = win.filter((r) => r.ms !== null && r.sentAt >= t && r.sentAt < t + 5000).map((r) => r.ms);
      details.requestsBy5s.push({ from: h.round((t - windowFrom) / 1000, 0), n: sentThen.length, p50: h.round(h.percentile(sentThen, 50), 0), max: h.round(sentThen.length ? Math.max(...sentThen) : null, 0) });
    }
    // What the cluster's partitions went through meanwhile (ISR shrinks and expands, leader moves), per 5 s.
    details.partitionEventsBy5s = {};
    for (let after = 0, n = 0; n < 20; n++) {
      const r = await server.api.get(`/api/events?types=partition.isr-changed,partition.leader-changed&after=${after}&limit=5000`, { timeoutMs: 30_000 }).catch(() => null);
      if (!r || r.status !== 200 || r.body.events.length === 0) break;
      for (const e of r.body.events) {
        const at = Date.parse(e.time) - windowFrom; // h.now() is milliseconds since the epoch too
        const key = `${e.type.replace('partition.', '')} ${Math.floor(at / 5000) * 5}`;
        details.partitionEventsBy5s[key] = (details.partitionEventsBy5s[key] || 0) + 1;
      }
      after = r.body.next;
    }
    details.sent = sent;
    details.acked = acked;
    details.skipped = skipped;
    ctx.log(`RSS max ${max(rss)} MiB, loop p99 worst ${max(p99s)} ms, API p99 ${h.percentile(ms(win), 99)} ms, delivery p99 ${h.percentile(lat, 99)} ms, ${failures.length} failures`);
  } finally {
    producing = false;
    sampling = false;
    await Promise.all([...loops, health]);
    await sampler.catch(() => undefined);
    probe.stop();
    details.samples = samples.map((x) => ({ ...x, at: h.round((x.at - (windowFrom === Infinity ? t0 : windowFrom)) / 1000, 1) }));
    for (const s of students) {
      for (const so of s.sockets) so.close();
      s.api.close();
    }
    details.failuresByKind = failures.reduce((m, f) => ((m[f.what] = (m[f.what] || 0) + 1), m), {});
    details.failures = failures.slice(0, 50);
    details.failureCount = failures.length;
    if (failures.length) details.logExcerpt = logExcerpt(server.logFile);
  }
  return { metrics, details };
}

module.exports = { description, run };
