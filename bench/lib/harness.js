'use strict';
/**
 * What every benchmark shares: a lab server of its own (data dir, ports, token), an HTTP client that
 * talks to it like a user, socket.io clients, waits with deadlines, and statistics.
 *
 * Plain CommonJS on purpose: benchmarks run from a checkout with `node bench/run.js`, no build of their own.
 */
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench', 'results');

/** Wall-clock milliseconds with sub-millisecond precision (one clock for send and receive stamps). */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- ports ------------------------------------------------------------------------------------

function canListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A free port the OS picks. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** A base such that base..base+span-1 are all free now (the cluster's brokers and controllers). */
// Below the kernel's ephemeral range (32768+): a port there can be taken by an outgoing connection before the broker binds it.
async function freePortBase(span = 40, from = 20000, to = 32700) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor((Math.random() * (to - from)) / span) * span;
    const checks = await Promise.all(Array.from({ length: span }, (_, i) => canListen(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`no free block of ${span} ports found between ${from} and ${to}`);
}

// ---- processes ----------------------------------------------------------------------------------

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of JVMs (Kafka nodes, the client host) whose pid files lie under `dataDir` and that still run. */
function kafkaPidsUnder(dataDir) {
  const nodes = path.join(dataDir, 'cluster', 'nodes');
  const pidFiles = (fs.existsSync(nodes) ? fs.readdirSync(nodes) : []).map((d) => path.join(nodes, d, 'pid'));
  pidFiles.push(path.join(dataDir, 'client-host', 'pid'));
  const out = [];
  for (const f of pidFiles) {
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(f, 'utf8'));
    } catch {
      continue;
    }
    if (pid && alive(pid)) out.push(pid);
  }
  return out;
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Servers started and not yet stopped, so run.js can stop them on Ctrl-C or a crash. */
const running = new Set();

function stamp(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A fresh directory bench/results/tmp-<label>-<stamp>-<rand>/ for a server's data (or a cache). */
function tmpDir(label) {
  const dir = path.join(RESULTS, `tmp-${label}-${stamp()}-${crypto.randomBytes(2).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Spawns `node dist/main.js` (what `npm start` runs after the build) with its own data dir, port,
 * Kafka port base and instructor token. Does not wait: see `untilState`.
 * opts: { label, dataDir?, env?: extra env }.
 */
async function spawnServer(opts) {
  const dataDir = opts.dataDir ?? tmpDir(opts.label);
  fs.mkdirSync(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const portBase = opts.portBase ?? (await freePortBase(40));
  const token = opts.token ?? `bench-${crypto.randomBytes(12).toString('hex')}`;
  const logFile = path.join(dataDir, 'server.log');
  const env = {
    ...process.env,
    PORT: String(port),
    LAB_HOST: '127.0.0.1',
    LAB_DATA_DIR: dataDir,
    LAB_KAFKA_PORT_BASE: String(portBase),
    LAB_INSTRUCTOR_TOKEN: token,
    ...(opts.env ?? {}),
  };
  // BENCH_CPU_PROF=1: the server writes a V8 CPU profile (.cpuprofile, for Chrome DevTools) into
  // bench/results/ when it exits.
  const nodeArgs = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS}`] : [];
  const out = fs.openSync(logFile, 'a');
  const t0 = now();
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const server = {
    label: opts.label,
    url: `http://127.0.0.1:${port}`,
    port,
    portBase,
    token,
    dataDir,
    logFile,
    child,
    pid: child.pid,
    spawnedAt: t0,
    exitCode: null,
    env: opts.env ?? {},
  };
  child.once('exit', (code, signal) => (server.exitCode = code ?? signal ?? -1));
  running.add(server);
  server.api = makeApi(server.url, token);
  return server;
}

/**
 * Polls GET /api/health every `pollMs` until the cluster is in `state`; returns the milliseconds from
 * spawn to the first HTTP answer and to the state.
 */
async function waitForState(server, state = 'running', timeoutMs = 600_000, pollMs = 100) {
  const deadline = now() + timeoutMs;
  let firstAnswer = null;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the lab server exited (${server.exitCode}) while starting; see ${server.logFile}:\n${tail(server.logFile)}`);
    try {
      const r = await server.api.get('/api/health', { auth: false, timeoutMs: 5000 });
      if (r.status === 200) {
        if (firstAnswer === null) firstAnswer = now() - server.spawnedAt;
        if (r.body.cluster && r.body.cluster.state === state) return { httpMs: firstAnswer, stateMs: now() - server.spawnedAt };
      }
    } catch {
      // not listening yet
    }
    if (now() > deadline) throw new Error(`the lab server did not reach cluster state ${state} in ${timeoutMs} ms; see ${server.logFile}:\n${tail(server.logFile)}`);
    await sleep(pollMs);
  }
}

/** spawnServer + waitForState('running'). */
async function startServer(opts) {
  const server = await spawnServer(opts);
  try {
    server.startTimes = await waitForState(server, 'running', opts.timeoutMs ?? 600_000);
  } catch (e) {
    await stopServer(server);
    throw e;
  }
  return server;
}

/**
 * SIGTERM to the server (it stops its Kafka nodes, brokers first), SIGKILL at the deadline; then checks
 * the pid files under its data dir: a JVM still alive there is reported and killed by its pid.
 * Returns { stopMs, leftJvms }.
 */
async function stopServer(server, timeoutMs = 120_000) {
  const t0 = now();
  if (server.exitCode === null && alive(server.pid)) {
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
    const deadline = now() + timeoutMs;
    while (server.exitCode === null && alive(server.pid)) {
      if (now() > deadline) {
        try {
          process.kill(server.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        break;
      }
      await sleep(100);
    }
  }
  const stopMs = now() - t0;
  // A JVM may take a moment to go after the server; give them a few seconds before calling them left over.
  let left = kafkaPidsUnder(server.dataDir);
  const deadline = now() + 10_000;
  while (left.length && now() < deadline) {
    await sleep(200);
    left = kafkaPidsUnder(server.dataDir);
  }
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  running.delete(server);
  return { stopMs, leftJvms: left };
}

/** Stops every server still running (Ctrl-C, an exception in a benchmark). */
async function stopAll() {
  await Promise.all([...running].map((s) => stopServer(s, 60_000).catch(() => undefined)));
}

/**
 * Keeps the server's log next to the results (bench/results/<name>-<stamp>-server.log) and removes the
 * data dir unless BENCH_KEEP_DATA=1. Returns the log's path.
 */
function archive(server, name, runStamp) {
  let kept = null;
  try {
    kept = path.join(RESULTS, `${name}-${runStamp}-${server.label}-server.log`);
    fs.copyFileSync(server.logFile, kept);
  } catch {
    kept = null;
  }
  if (process.env.BENCH_KEEP_DATA !== '1') fs.rmSync(server.dataDir, { recursive: true, force: true });
  return kept;
}

// ---- HTTP ---------------------------------------------------------------------------------------

/**
 * A small keep-alive JSON client on node:http (lighter than fetch: the load generator shares the
 * 2 cores with the server). Resolves { status, body, ms } and never throws on a status.
 */
function makeApi(baseUrl, token) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const u = new URL(baseUrl);
  function request(method, p, body, o = {}) {
    return new Promise((resolve, reject) => {
      const headers = {};
      if (o.auth !== false) headers.authorization = `Bearer ${token}`;
      let payload = null;
      if (body !== undefined) {
        if (typeof body === 'string') {
          payload = Buffer.from(body);
          headers['content-type'] = o.contentType ?? 'text/plain';
        } else {
          payload = Buffer.from(JSON.stringify(body));
          headers['content-type'] = 'application/json';
        }
        headers['content-length'] = payload.length;
      }
      const t0 = now();
      const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          if ((res.headers['content-type'] || '').includes('json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              /* keep the text */
            }
          }
          resolve({ status: res.statusCode, body: parsed, ms: now() - t0 });
        });
        res.on('error', reject);
      });
      req.setTimeout(o.timeoutMs ?? 120_000, () => req.destroy(new Error(`${method} ${p} timed out after ${o.timeoutMs ?? 120_000} ms`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
  const api = {
    get: (p, o) => request('GET', p, undefined, o),
    post: (p, body, o) => request('POST', p, body ?? {}, o),
    del: (p, o) => request('DELETE', p, undefined, o),
    close: () => agent.destroy(),
    /** Like post/get, but throws with the server's sentence unless the status is 2xx. */
    async ok(method, p, body, o) {
      const r = await request(method, p, body, o);
      if (r.status < 200 || r.status >= 300) {
        const msg = r.body && r.body.message ? r.body.message : JSON.stringify(r.body).slice(0, 300);
        throw new Error(`${method} ${p} answered ${r.status}: ${msg}`);
      }
      return r.body;
    },
  };
  return api;
}

// ---- socket.io ----------------------------------------------------------------------------------

/** A socket.io client on /lab, connected (websocket transport), with the instructor's token unless given another. */
function connectSocket(server, token = server.token) {
  const { io } = require('socket.io-client');
  const s = io(`${server.url}/lab`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('socket.io connect timed out after 20 s'));
    }, 20_000);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('connect_error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function subscribe(socket, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscribe ${JSON.stringify(what)} got no ack in 20 s`)), 20_000);
    socket.emit('subscribe', what, (ack) => {
      clearTimeout(timer);
      if (ack && ack.ok) resolve();
      else reject(new Error(`subscribe ${JSON.stringify(what)}: ${ack && ack.error}`));
    });
  });
}

// ---- lab helpers --------------------------------------------------------------------------------

/** Polls `fn` every `everyMs` until it returns a value other than undefined/false; throws at the deadline. */
async function waitFor(what, fn, timeoutMs = 60_000, everyMs = 100) {
  const deadline = now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (e) {
      lastErr = e;
    }
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${lastErr.message}` : ''}`);
    await sleep(everyMs);
  }
}

async function createTopic(server, name, partitions, replicationFactor, configs) {
  return server.api.ok('POST', '/api/topics', { name, partitions, replicationFactor, ...(configs ? { configs } : {}) });
}

async function describeTopic(server, name) {
  return server.api.ok('GET', `/api/topics/${encodeURIComponent(name)}`);
}

/** Waits until every partition of the topic has a leader and `rf` in-sync replicas. */
function waitFullIsr(server, topic, rf, timeoutMs = 120_000, everyMs = 100) {
  return waitFor(`every partition of ${topic} to have ${rf} in-sync replicas`, async () => {
    const d = await describeTopic(server, topic);
    return d.partitions.every((p) => p.leader !== null && p.isr.length === rf) ? d : undefined;
  }, timeoutMs, everyMs);
}

/** Full ISR on every partition, then each led by its preferred replica (elections asked every second). */
async function restorePreferredLeaders(server, topic) {
  await waitFullIsr(server, topic, 3, 180_000, 200);
  await waitFor(`preferred leaders on every partition of ${topic}`, async () => {
    await server.api.ok('POST', `/api/topics/${topic}/elect-leaders`, {});
    const d = await describeTopic(server, topic);
    return d.partitions.every((p) => p.leader === p.replicas[0]);
  }, 60_000, 1000);
}

// ---- machine contention ---------------------------------------------------------------------------

const PROBE_SRC = `
const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 });
h.enable();
process.stdin.on('data', () => {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  process.stdout.write(JSON.stringify({ p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }) + '\\n');
  h.reset();
});
process.stdin.on('end', () => process.exit(0));
`;

/**
 * An idle Node process measuring its own event-loop delay exactly as GET /api/runtime does. It does no
 * work, so its delay is what the machine's CPU contention alone costs any event loop: the baseline to
 * read the server's numbers against (other engineers' Kafka JVMs share these 2 cores).
 * sample() returns { p50, p99, max } since the last sample; stop() ends it.
 */
function contentionProbe() {
  const child = spawn(process.execPath, ['-e', PROBE_SRC], { stdio: ['pipe', 'pipe', 'ignore'] });
  let buf = '';
  const waiting = [];
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(JSON.parse(line));
    }
  });
  return {
    sample: () => new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write('?');
    }),
    stop: () => {
      child.stdin.end();
      setTimeout(() => alive(child.pid) && child.kill('SIGKILL'), 2000).unref();
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command; clock ticks of 1/100 s on Linux
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine so far, in clock ticks, from /proc/stat; null elsewhere. */
function machineCpu() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] || 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

// ---- statistics ---------------------------------------------------------------------------------

/** Nearest-rank percentile of numbers (p in 0..100). */
/** Runs `fn(item, index)` over `items`, at most `concurrency` at a time (setting up many students or consumers). */
async function pool(items, concurrency, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

function percentile(values, p) {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

function median(values) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);

/**
 * One reported number. `goal` is a text like "<= 30000" read by `meets`; `method` says how it was
 * measured (the README's promise: every number comes with its method).
 */
function metric(name, value, unit, method, goal) {
  const m = { name, value: typeof value === 'number' ? round(value, 2) : value, unit, method };
  if (goal) {
    m.goal = goal;
    m.pass = meets(value, goal);
  }
  return m;
}

function meets(value, goal) {
  const g = /^(<=|>=|<|>)\s*([\d.]+)$/.exec(goal.trim());
  if (!g || typeof value !== 'number') return null;
  const t = Number(g[2]);
  return { '<=': value <= t, '>=': value >= t, '<': value < t, '>': value > t }[g[1]];
}

/**
 * Runs `cmd args` with `file` on stdin until it exits; resolves with its exit code, stderr and how long
 * it took (spawn -> exit, ms). Used to time kcat -P on a file of lines.
 */
async function timeWithInput(cmd, args, file, env = process.env) {
  const input = fs.openSync(file, 'r');
  const t0 = now();
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: [input, 'ignore', 'pipe'], env });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('exit', (c) => resolve({ code: c, stderr: err, ms: now() - t0 }));
    });
  } finally {
    fs.closeSync(input);
  }
}

function log(...args) {
  const t = new Date().toISOString().slice(11, 23);
  process.stderr.write(`[${t}] ${args.join(' ')}\n`);
}

module.exports = {
  ROOT,
  timeWithInput,
  pool,
  RESULTS,
  now,
  sleep,
  freePort,
  freePortBase,
  alive,
  kafkaPidsUnder,
  tail,
  stamp,
  tmpDir,
  spawnServer,
  waitForState,
  startServer,
  stopServer,
  stopAll,
  archive,
  makeApi,
  connectSocket,
  subscribe,
  waitFor,
  createTopic,
  describeTopic,
  waitFullIsr,
  restorePreferredLeaders,
  contentionProbe,
  cpuSeconds,
  machineCpu,
  percentile,
  median,
  round,
  metric,
  log,
};
