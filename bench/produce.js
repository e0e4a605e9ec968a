'use strict';
/**
 * produce: HTTP produce throughput against kcat, on the same server.
 *  API:  BENCH_PRODUCE_CLIENTS (default 6) concurrent keep-alive HTTP clients, each in a closed loop
 *        POSTing JSON batches of 100 messages of ~100 bytes, acks=-1, to a topic of 3 partitions, RF 3;
 *        3 s warm-up, then a BENCH_PRODUCE_SECONDS (default 20) window: messages acknowledged (201) in
 *        the window / window length.
 *  kcat: the same number of ~100-byte lines, from a file on stdin, into a second topic of the same
 *        shape: `kcat -P -b <bootstrap> -t <topic> -X acks=all`; messages / (spawn -> exit). kcat exits
 *        only when every message is acknowledged, and the topic's offsets are checked afterwards.
 */
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');

const description = 'HTTP produce (batches of 100 x ~100 B, acks=all, RF 3, 3 partitions) vs kcat -P';
const BATCH = 100;
const WARMUP_MS = 3000;

function value(client, i) {
  return `c${client}-m${i}-`.padEnd(100, 'x');
}

async function topicTotal(server, topic) {
  const d = await h.describeTopic(server, topic);
  return d.partitions.reduce((n, p) => n + Number(p.latestOffset) - Number(p.earliestOffset), 0);
}

async function run(ctx) {
  const clients = Number(process.env.BENCH_PRODUCE_CLIENTS || 6);
  const seconds = Number(process.env.BENCH_PRODUCE_SECONDS || 20);
  const server = await ctx.start({});
  const apiTopic = 'bench-produce-api';
  const kcatTopic = 'bench-produce-kcat';
  const kcatSmallTopic = 'bench-produce-kcat-b100';
  await h.createTopic(server, apiTopic, 3, 3);
  await h.createTopic(server, kcatTopic, 3, 3);
  await h.waitFullIsr(server, apiTopic, 3);
  await h.waitFullIsr(server, kcatTopic, 3);
  const cluster = await server.api.ok('GET', '/api/cluster');
  const bootstrap = cluster.bootstrapServers;

  // ---- API ----
  // Bodies are serialized once per client: the load generator shares the 2 cores with the server.
  const bodies = Array.from({ length: clients }, (_, c) =>
    JSON.stringify({ messages: Array.from({ length: BATCH }, (_, i) => ({ value: value(c, i) })), acks: -1 }));
  let acked = 0;
  let errors = 0;
  const errorSamples = [];
  let inWindow = false;
  const windowLatencies = [];
  let stop = false;
  const path_ = `/api/topics/${apiTopic}/messages`;
  const loop = async (c) => {
    while (!stop) {
      let r;
      try {
        r = await server.api.post(path_, bodies[c], { contentType: 'application/json', timeoutMs: 30_000 });
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String(e.message));
        continue;
      }
      if (r.status === 201) {
        acked += BATCH;
        if (inWindow) windowLatencies.push(r.ms);
      } else {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
  };
  ctx.log(`API: ${clients} clients, ${WARMUP_MS / 1000} s warm-up + ${seconds} s`);
  const loops = Array.from({ length: clients }, (_, c) => loop(c));
  await h.sleep(WARMUP_MS);
  await server.api.get('/api/runtime?reset=true');
  const a0 = acked;
  const cpu0 = h.cpuSeconds(server.pid);
  const t0 = h.now();
  inWindow = true;
  await h.sleep(seconds * 1000);
  const a1 = acked;
  const windowMs = h.now() - t0;
  const serverCpuPct = cpu0 === null ? null : (100 * (h.cpuSeconds(server.pid) - cpu0)) / (windowMs / 1000);
  inWindow = false;
  const runtime = (await server.api.ok('GET', '/api/runtime?reset=true'));
  stop = true;
  await Promise.all(loops);
  const apiMessages = a1 - a0;
  const apiRate = apiMessages / (windowMs / 1000);
  const apiTotal = await topicTotal(server, apiTopic);
  ctx.log(`API: ${apiMessages} messages in ${(windowMs / 1000).toFixed(1)} s = ${apiRate.toFixed(0)} msg/s (${errors} errors); topic holds ${apiTotal}, ${acked} acknowledged in all`);

  // ---- kcat ----
  const n = apiMessages;
  const file = path.join(server.dataDir, 'kcat-input.txt');
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(value(99, i));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const runKcat = async (topic, extra) => {
    const args = ['-P', '-b', bootstrap, '-t', topic, '-X', 'acks=all', ...extra];
    ctx.log(`kcat: ${n} lines: kcat ${args.join(' ')} < ${path.basename(file)}`);
    const { code, stderr, ms } = await h.timeWithInput('kcat', args, file);
    if (code !== 0) throw new Error(`kcat exited with ${code}: ${stderr.slice(0, 500)}`);
    const holds = await topicTotal(server, topic);
    if (holds !== n) throw new Error(`kcat's topic ${topic} holds ${holds} messages, not the ${n} sent`);
    const rate = n / (ms / 1000);
    ctx.log(`kcat: ${n} messages in ${(ms / 1000).toFixed(2)} s = ${rate.toFixed(0)} msg/s; topic holds ${holds}`);
    return { command: `kcat ${args.join(' ')}`, messages: n, ms: h.round(ms, 0), rate, topicHolds: holds };
  };
  const kcat = await runKcat(kcatTopic, []);
  // The same with librdkafka's batches capped at 100 messages, like the API's requests: shows how much
  // of the gap is batching (kcat otherwise sends up to 10,000 messages per partition per request).
  await h.createTopic(server, kcatSmallTopic, 3, 3);
  await h.waitFullIsr(server, kcatSmallTopic, 3);
  const kcatSmall = await runKcat(kcatSmallTopic, ['-X', 'batch.num.messages=100']);
  const kcatRate = kcat.rate;
  if (apiTotal !== acked) ctx.log(`WARNING: the API topic holds ${apiTotal} messages but ${acked} were acknowledged`);

  const ratio = apiRate / kcatRate;
  const metrics = [
    h.metric('API produce', apiRate, 'msg/s', `${clients} concurrent keep-alive HTTP clients, closed loop, POST /api/topics/{t}/messages JSON batches of ${BATCH} x 100 B, acks=-1, topic 3 partitions RF 3; messages acknowledged (201) in a ${seconds} s window after ${WARMUP_MS / 1000} s warm-up`),
    h.metric('API request latency p50', h.percentile(windowLatencies, 50), 'ms', `per ${BATCH}-message request in the window (${windowLatencies.length} requests)`),
    h.metric('API request latency p99', h.percentile(windowLatencies, 99), 'ms', 'as above'),
    h.metric('server event-loop p99 under load', runtime.eventLoopDelayMs.p99, 'ms', 'GET /api/runtime?reset=true at the start and the end of the window'),
    h.metric('server CPU in the window', serverCpuPct, '% of a core', 'user+system time of the server process (/proc/<pid>/stat) over the window; 100 = one core'),
    h.metric('kcat produce', kcatRate, 'msg/s', `kcat ${['-P', '-b', '<bootstrap>', '-t', '<topic>', '-X', 'acks=all'].join(' ')} < file of ${n} lines of 100 B (same count as the API window), same topic shape; spawn -> exit`),
    h.metric('API / kcat', ratio, 'ratio', 'API msg/s divided by kcat msg/s', '>= 0.5'),
    h.metric('kcat, batch.num.messages=100', kcatSmall.rate, 'msg/s', 'the same kcat run with -X batch.num.messages=100 (batches no bigger than the API\'s requests), into a third topic of the same shape'),
    h.metric('API / kcat(batch 100)', apiRate / kcatSmall.rate, 'ratio', 'for context'),
  ];
  return {
    metrics,
    details: {
      clients, batch: BATCH, windowSeconds: h.round(windowMs / 1000, 2), apiMessages, acknowledgedInAll: acked, apiTopicHolds: apiTotal,
      errors, errorSamples, kcat, kcatBatch100: kcatSmall,
      runtimeDuringWindow: runtime,
    },
  };
}

module.exports = { description, run };
