'use strict';
/**
 * host-rss: memory of the client host, the ONE JVM of Kafka's Java clients that runs consumer-protocol
 * (KIP-848) and share members. One server; consumers with protocol "consumer" added through
 * POST /api/consumers (BENCH_HOST_CONCURRENCY, default 10, at a time), each in a group of its own on one
 * of 10 topics of 3 partitions, up to each step of BENCH_HOST_STEPS (default 10,100,200). At each step,
 * once every consumer runs and 10 s passed idle: the JVM's RSS (VmRSS of /proc/<pid>/status, pid from
 * <data dir>/client-host/pid), its threads, and its CPU over BENCH_HOST_SAMPLE_SECONDS (default 20).
 */
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');

const description = 'client-host JVM RSS, threads and idle CPU with 10, 100 and 200 consumer-protocol consumers';

function procStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number((new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(s) || [])[1]);
    return { rssMiB: h.round(field('VmRSS') / 1024, 0), threads: field('Threads') };
  } catch {
    return null;
  }
}

async function run(ctx) {
  const steps = (process.env.BENCH_HOST_STEPS || '10,100,200').split(',').map(Number);
  const concurrency = Number(process.env.BENCH_HOST_CONCURRENCY || 10);
  const sampleSeconds = Number(process.env.BENCH_HOST_SAMPLE_SECONDS || 20);
  const server = await ctx.start({});
  const topics = Array.from({ length: 10 }, (_, i) => `bench-host-${i}`);
  for (const t of topics) await h.createTopic(server, t, 3, 3);
  for (const t of topics) await h.waitFullIsr(server, t, 3, 120_000, 500);
  const pidFile = path.join(server.dataDir, 'client-host', 'pid');
  const metrics = [];
  const details = { steps: [], concurrency, sampleSeconds };
  let created = 0;
  const failures = [];
  for (const target of steps) {
    const t0 = h.now();
    const todo = Array.from({ length: target - created }, (_, i) => created + i);
    await h.pool(todo, concurrency, async (i) => {
      const r = await server.api.post('/api/consumers', { topic: topics[i % topics.length], groupId: `bench-host-g${i}`, name: `host-${i}`, protocol: 'consumer' }, { timeoutMs: 120_000 })
        .catch((e) => ({ status: 0, body: { message: e.message } }));
      if (r.status === 201) created++;
      else failures.push({ i, status: r.status, message: r.body && r.body.message });
    });
    const createS = (h.now() - t0) / 1000;
    await h.waitFor(`${created} consumers running`, async () => {
      const all = await server.api.ok('GET', '/api/consumers', undefined, { timeoutMs: 30_000 });
      return all.filter((c) => c.state === 'running').length >= created;
    }, 120_000, 2000).catch((e) => ctx.log(`not settled: ${e.message}`));
    await h.sleep(10_000);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const cpu0 = h.cpuSeconds(pid);
    const at0 = h.now();
    await h.sleep(sampleSeconds * 1000);
    const cpuPct = h.round((100 * (h.cpuSeconds(pid) - cpu0)) / ((h.now() - at0) / 1000), 0);
    const st = procStatus(pid);
    const runtime = await server.api.ok('GET', '/api/runtime');
    const step = { consumers: created, pid, ...st, cpuPct, createSeconds: h.round(createS, 1), serverRssMiB: h.round(runtime.rssBytes / 2 ** 20, 0) };
    details.steps.push(step);
    ctx.log(JSON.stringify(step));
    metrics.push(h.metric(`client-host RSS, ${created} consumers`, st ? st.rssMiB : null, 'MiB', `VmRSS of the client-host JVM after ${created} consumer-protocol consumers (own group each, 10 topics x 3 partitions) ran 10 s idle`));
    metrics.push(h.metric(`client-host threads, ${created} consumers`, st ? st.threads : null, 'threads', '/proc/<pid>/status Threads'));
    metrics.push(h.metric(`client-host CPU idle, ${created} consumers`, cpuPct, '% of a core', `utime+stime of the JVM over ${sampleSeconds} s with no messages (heartbeats and polls only)`));
    metrics.push(h.metric(`time to add consumers up to ${created}`, step.createSeconds, 's', `POST /api/consumers, ${concurrency} at a time`));
  }
  details.failures = failures.slice(0, 20);
  details.failureCount = failures.length;
  metrics.push(h.metric('consumers created', created, `of ${steps.at(-1)}`, 'POST /api/consumers answered 201', `>= ${steps.at(-1)}`));
  return { metrics, details };
}

module.exports = { description, run };
