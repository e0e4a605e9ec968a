'use strict';
/**
 * class-listener: what the class listener (students' own clients: SASL/SCRAM, the StandardAuthorizer,
 * optionally TLS) costs, in one run, side by side:
 *   start-up  - spawn of `node dist/main.js` -> GET /api/health cluster.state "running", 1 controller + 3
 *               brokers, fresh data dir, with the class listener off / on (LAB_KAFKA_PUBLIC_HOST=127.0.0.1)
 *               / on with TLS (LAB_KAFKA_TLS=true; its first start also makes the CA and the keystore).
 *               BENCH_CLASS_REPS (3) rounds, the three kinds interleaved in each round; medians.
 *   produce   - kcat -P of BENCH_CLASS_MESSAGES (200,000) lines of 100 B, acks=all, into a fresh topic of 3
 *               partitions RF 3, spawn -> exit, over the loopback PLAINTEXT listener, the CLASS listener
 *               (SASL_PLAINTEXT, SCRAM-SHA-512) and the CLASS listener with TLS (SASL_SSL); the first two on
 *               the "on" server of the last round, the TLS one (and PLAINTEXT again, as a control) on the
 *               "tls" server. BENCH_CLASS_PRODUCE_REPS (3) each, interleaved; medians.
 * The SCRAM user is the instructor's (a super user: no ACL decides anything here), its credentials from
 * GET /api/me/kafka. Every kcat runs with the same librdkafka: the recent one test-prereqs.sh links
 * (~/.cache/kafka-lab/venv/librdkafka), which Kafka 4's SCRAM needs, when it is there.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');

const description = 'class listener: start-up with it off / on / on+TLS, and kcat -P throughput over loopback PLAINTEXT vs CLASS SCRAM vs CLASS SCRAM+TLS';

const PUBLIC_HOST = '127.0.0.1';
const CLASS_OFFSET = 30; // PORT_LAYOUT.classListenerOffset
const KINDS = {
  off: {},
  on: { LAB_KAFKA_PUBLIC_HOST: PUBLIC_HOST },
  tls: { LAB_KAFKA_PUBLIC_HOST: PUBLIC_HOST, LAB_KAFKA_TLS: 'true' },
};

/** Debian's kcat with the recent librdkafka when test-prereqs put it there (Kafka 4's SCRAM needs >= 2.6.1). */
function kcatEnv() {
  const dir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kafka-lab', 'venv', 'librdkafka');
  if (!fs.existsSync(path.join(dir, 'librdkafka.so.1'))) return { ...process.env };
  return { ...process.env, LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

function librdkafkaVersion(env) {
  const out = spawnSync('kcat', ['-V'], { env, encoding: 'utf8' }).stdout || '';
  const m = /librdkafka (\d+\.\d+\.\d+)/.exec(out);
  return m ? m[1] : 'unknown';
}

async function timedStart(ctx, env) {
  const server = await ctx.spawn({ env });
  const t0 = server.spawnedAt;
  const deadline = t0 + 10 * 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}) while starting:\n${h.tail(server.logFile)}`);
    try {
      const r = await server.api.get('/api/health', { auth: false, timeoutMs: 5000 });
      if (r.status === 200 && r.body.cluster.state === 'running') return { server, ms: h.now() - t0 };
    } catch {
      /* not listening yet */
    }
    if (h.now() > deadline) throw new Error(`no running cluster after 10 minutes:\n${h.tail(server.logFile)}`);
    await h.sleep(100);
  }
}

async function topicTotal(server, topic) {
  const d = await h.describeTopic(server, topic);
  return d.partitions.reduce((n, p) => n + Number(p.latestOffset) - Number(p.earliestOffset), 0);
}

/** kcat's settings for the instructor on the class listener, from GET /api/me/kafka. */
async function classSettings(server) {
  const r = await server.api.get('/api/me/kafka');
  if (r.status !== 200) throw new Error(`GET /api/me/kafka answered ${r.status}: ${r.body && r.body.message ? r.body.message : JSON.stringify(r.body)}`);
  const k = r.body;
  return {
    bootstrap: k.bootstrapServers,
    args: ['-X', `security.protocol=${k.securityProtocol}`, '-X', `sasl.mechanisms=${k.mechanism}`, '-X', `sasl.username=${k.username}`, '-X', `sasl.password=${k.password}`],
    securityProtocol: k.securityProtocol,
  };
}

async function caFile(server) {
  const r = await server.api.get('/api/class/ca.pem', { auth: false });
  if (r.status !== 200) throw new Error(`GET /api/class/ca.pem answered ${r.status}`);
  const file = path.join(server.dataDir, 'bench-ca.pem');
  fs.writeFileSync(file, r.body);
  return file;
}

async function kcatProduce(ctx, server, { label, bootstrap, extra, file, n, env }) {
  const topic = `bench-class-${label}-${Math.random().toString(36).slice(2, 8)}`;
  await h.createTopic(server, topic, 3, 3);
  await h.waitFullIsr(server, topic, 3);
  const args = ['-P', '-b', bootstrap, '-t', topic, '-X', 'acks=all', ...extra];
  const { code, stderr, ms } = await h.timeWithInput('kcat', args, file, env);
  if (code !== 0) throw new Error(`kcat (${label}) exited with ${code}: ${stderr.slice(0, 500)}`);
  const holds = await topicTotal(server, topic);
  if (holds !== n) throw new Error(`kcat's topic ${topic} (${label}) holds ${holds} messages, not the ${n} sent`);
  await server.api.del(`/api/topics/${topic}`).catch(() => undefined);
  const rate = n / (ms / 1000);
  ctx.log(`kcat ${label}: ${n} messages in ${(ms / 1000).toFixed(2)} s = ${rate.toFixed(0)} msg/s`);
  return { label, ms: h.round(ms, 0), rate: h.round(rate, 0) };
}

async function run(ctx) {
  const reps = Number(process.env.BENCH_CLASS_REPS || 3);
  const produceReps = Number(process.env.BENCH_CLASS_PRODUCE_REPS || 3);
  const n = Number(process.env.BENCH_CLASS_MESSAGES || 200_000);
  const env = kcatEnv();
  const details = { reps, produceReps, messages: n, librdkafka: librdkafkaVersion(env), starts: [], produce: [] };
  const metrics = [];

  // ---- start-up: off / on / tls, interleaved so drifting load hits all three alike ----
  const kept = {};
  for (let i = 0; i < reps; i++) {
    for (const kind of Object.keys(KINDS)) {
      const r = await timedStart(ctx, KINDS[kind]);
      // The server logs how long making the CA and the broker keystore took (first start of a data dir).
      const made = /Class listener TLS: made .* in (\d+) ms/.exec(fs.readFileSync(r.server.logFile, 'utf8'));
      details.starts.push({ round: i + 1, kind, ms: h.round(r.ms, 0), ...(made ? { tlsMadeMs: Number(made[1]) } : {}) });
      ctx.log(`start ${kind} (round ${i + 1}): running after ${(r.ms / 1000).toFixed(1)} s${made ? ` (TLS material made in ${made[1]} ms)` : ''}`);
      if (i === reps - 1 && kind !== 'off') kept[kind] = r.server;
      else await ctx.stop(r.server);
    }
  }
  const startsOf = (kind) => details.starts.filter((s) => s.kind === kind).map((s) => s.ms);
  const off = h.median(startsOf('off'));
  for (const kind of Object.keys(KINDS)) {
    const med = h.median(startsOf(kind));
    const what = { off: 'class listener off', on: 'class listener on (SASL_PLAINTEXT + StandardAuthorizer)', tls: 'class listener on with TLS (SASL_SSL; makes the CA and keystore first)' }[kind];
    metrics.push(h.metric(`start-up, ${what}`, med / 1000, 's', `spawn -> GET /api/health cluster.state=running, 1 controller + 3 brokers, fresh data dir; median of ${reps}: ${startsOf(kind).map((v) => (v / 1000).toFixed(1)).join(', ')} s (kinds interleaved per round)`));
    if (kind !== 'off') metrics.push(h.metric(`start-up added, ${kind}`, (med - off) / 1000, 's', `median ${kind} - median off`));
  }
  const made = details.starts.filter((s) => s.tlsMadeMs !== undefined).map((s) => s.tlsMadeMs);
  if (made.length) metrics.push(h.metric('TLS: CA + broker keystore made, within the tls start-up', h.median(made) / 1000, 's', `the server log's "Class listener TLS: made ... in <n> ms" of each tls run; median of ${made.length}: ${made.map((v) => (v / 1000).toFixed(1)).join(', ')} s`));

  // ---- produce: the same file, the same kcat and librdkafka, three ways in ----
  const file = path.join(kept.on.dataDir, 'bench-lines.txt');
  const line = 'x'.repeat(100);
  fs.writeFileSync(file, Array.from({ length: n }, (_, i) => `${i}-${line}`.slice(0, 100)).join('\n') + '\n');
  const plainOf = (s) => `127.0.0.1:${s.portBase}`;
  const onClass = await classSettings(kept.on);
  const tlsClass = await classSettings(kept.tls);
  const ca = await caFile(kept.tls);
  const ways = [
    { label: 'plaintext', server: kept.on, bootstrap: plainOf(kept.on), extra: [] },
    { label: 'scram', server: kept.on, bootstrap: onClass.bootstrap, extra: onClass.args },
    { label: 'scram-tls', server: kept.tls, bootstrap: tlsClass.bootstrap, extra: [...tlsClass.args, '-X', `ssl.ca.location=${ca}`] },
    { label: 'plaintext-tls-server', server: kept.tls, bootstrap: plainOf(kept.tls), extra: [] },
  ];
  ctx.log(`class bootstrap ${onClass.bootstrap} (${onClass.securityProtocol}), TLS ${tlsClass.bootstrap} (${tlsClass.securityProtocol}); port rule base+${CLASS_OFFSET}+i; librdkafka ${details.librdkafka}`);
  for (let i = 0; i < produceReps; i++) {
    for (const w of ways) details.produce.push({ round: i + 1, ...(await kcatProduce(ctx, w.server, { ...w, file, n, env })) });
  }
  const rates = (label) => details.produce.filter((p) => p.label === label).map((p) => p.rate);
  const plain = h.median(rates('plaintext'));
  const how = (label) => `kcat -P -X acks=all < ${n} lines of 100 B into a fresh topic of 3 partitions RF 3, spawn -> exit (librdkafka ${details.librdkafka}); median of ${produceReps}: ${rates(label).join(', ')} msg/s`;
  metrics.push(h.metric('kcat produce, loopback PLAINTEXT', plain, 'msg/s', how('plaintext')));
  metrics.push(h.metric('kcat produce, CLASS SASL_PLAINTEXT SCRAM-SHA-512', h.median(rates('scram')), 'msg/s', how('scram')));
  metrics.push(h.metric('kcat produce, CLASS SASL_SSL SCRAM-SHA-512', h.median(rates('scram-tls')), 'msg/s', how('scram-tls')));
  metrics.push(h.metric('kcat produce, loopback PLAINTEXT on the TLS server (control)', h.median(rates('plaintext-tls-server')), 'msg/s', how('plaintext-tls-server')));
  metrics.push(h.metric('CLASS SCRAM / loopback', h.median(rates('scram')) / plain, 'ratio', 'median msg/s over CLASS SASL_PLAINTEXT divided by loopback PLAINTEXT (same server)'));
  metrics.push(h.metric('CLASS SCRAM+TLS / loopback', h.median(rates('scram-tls')) / h.median(rates('plaintext-tls-server')), 'ratio', 'median msg/s over CLASS SASL_SSL divided by loopback PLAINTEXT on the same (TLS) server'));
  return { metrics, details };
}

module.exports = { description, run };
