'use strict';
/**
 * latency: produce -> socket delivery. One API consumer (POST /api/consumers, its own group) on a topic
 * of 3 partitions, RF 3; a socket.io client subscribed to it ({ consumer: id }). Messages are produced
 * over HTTP at BENCH_LATENCY_RATE (default 1000) msg/s in batches of 10 every 10 ms, open loop (a slow
 * request does not delay the next one), acks=-1; each message's value carries its send time (taken
 * right before the request is written). latency = time the socket hands us the message - send time,
 * one clock (this process). The first 2 s are warm-up and not counted; the run lasts
 * BENCH_LATENCY_SECONDS (default 20) s.
 */
const h = require('./lib/harness');

const description = 'produce (HTTP) -> consumer -> socket.io delivery at 1,000 msg/s: p50/p99';
const TOPIC = 'bench-latency';
const BATCH = 10;
const WARMUP_MS = 2000;
const MAX_IN_FLIGHT = 200;

async function run(ctx) {
  const rate = Number(process.env.BENCH_LATENCY_RATE || 1000);
  const seconds = Number(process.env.BENCH_LATENCY_SECONDS || 20);
  const everyMs = (BATCH * 1000) / rate;
  const server = await ctx.start({});
  await h.createTopic(server, TOPIC, 3, 3);
  await h.waitFullIsr(server, TOPIC, 3);
  const consumer = await server.api.ok('POST', '/api/consumers', { topic: TOPIC, fromBeginning: false, name: 'bench-latency' });
  const socket = await h.connectSocket(server);
  const latencies = [];
  const toCreate = [];
  const fromCreate = [];
  const seen = new Set();
  let received = 0;
  let dupes = 0;
  let measureFrom = Infinity;
  socket.on('message', (m) => {
    const at = h.now();
    const [seqText, sentText] = String(m.value).split('|');
    const seq = Number(seqText);
    if (seen.has(seq)) {
      dupes++;
      return;
    }
    seen.add(seq);
    received++;
    const sent = Number(sentText);
    if (sent >= measureFrom) {
      latencies.push(at - sent);
      // The record's CreateTime is stamped by the server when it builds the batch (ms): it splits the
      // latency into "into Kafka" and "out to the socket".
      const created = Date.parse(m.timestamp);
      if (Number.isFinite(created)) {
        toCreate.push(created - sent);
        fromCreate.push(at - created);
      }
    }
  });
  await h.subscribe(socket, { consumer: consumer.id });

  let seq = 0;
  let acked = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  const rtts = [];
  const errorSamples = [];
  const send = () => {
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped += BATCH;
      return;
    }
    const sentAt = h.now();
    const messages = [];
    for (let i = 0; i < BATCH; i++) messages.push({ value: `${seq++}|${sentAt.toFixed(3)}` });
    inFlight++;
    server.api.post(`/api/topics/${TOPIC}/messages`, { messages, acks: -1 }, { timeoutMs: 30_000 }).then((r) => {
      inFlight--;
      if (r.status === 201) {
        acked += BATCH;
        if (sentAt >= measureFrom) rtts.push(r.ms);
      } else {
        failed += BATCH;
        if (errorSamples.length < 5) errorSamples.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }, (e) => {
      inFlight--;
      failed += BATCH;
      if (errorSamples.length < 5) errorSamples.push(e.message);
    });
  };

  ctx.log(`${rate} msg/s in batches of ${BATCH} every ${everyMs} ms for ${seconds} s (first ${WARMUP_MS / 1000} s not counted)`);
  const start = h.now();
  measureFrom = start + WARMUP_MS;
  const end = start + seconds * 1000;
  let tick = 0;
  await server.api.get('/api/runtime?reset=true');
  const probe = h.contentionProbe();
  const cpu0 = h.cpuSeconds(server.pid);
  while (h.now() < end) {
    const due = start + tick * everyMs;
    const wait = due - h.now();
    if (wait > 1) await h.sleep(wait);
    send();
    tick++;
  }
  const sendMs = h.now() - start;
  const serverCpuPct = cpu0 === null ? null : (100 * (h.cpuSeconds(server.pid) - cpu0)) / (sendMs / 1000);
  await h.waitFor('every acknowledged message on the socket', () => inFlight === 0 && received >= acked, 15_000, 50).catch(() => undefined);
  const runtime = await server.api.ok('GET', '/api/runtime?reset=true');
  const idle = await probe.sample();
  probe.stop();
  socket.close();
  const lost = acked - received;
  ctx.log(`sent ${seq} (${acked} acknowledged, ${failed} failed, ${skipped} skipped), received ${received}, counted ${latencies.length}`);
  ctx.log(`latency p50 ${h.percentile(latencies, 50)?.toFixed(1)} ms, p99 ${h.percentile(latencies, 99)?.toFixed(1)} ms`);

  const metrics = [
    h.metric('delivery latency p50', h.percentile(latencies, 50), 'ms', `socket 'message' receipt - send time in the value; ${latencies.length} messages after a ${WARMUP_MS / 1000} s warm-up; ${rate} msg/s over HTTP in batches of ${BATCH} every ${everyMs} ms (open loop), acks=-1, 3 partitions RF 3, one consumer subscribed over socket.io`, '<= 20'),
    h.metric('delivery latency p90', h.percentile(latencies, 90), 'ms', 'as above'),
    h.metric('delivery latency p99', h.percentile(latencies, 99), 'ms', 'as above', '<= 100'),
    h.metric('delivery latency max', latencies.length ? Math.max(...latencies) : null, 'ms', 'as above'),
    h.metric('  send -> record CreateTime p50', h.percentile(toCreate, 50), 'ms', 'send time -> the timestamp the server put on the record when it built the batch (HTTP + server, ms resolution)'),
    h.metric('  CreateTime -> socket p50', h.percentile(fromCreate, 50), 'ms', 'the record timestamp -> socket receipt: Kafka append + replication (acks=all, high watermark) + consumer fetch + socket push'),
    h.metric('  CreateTime -> socket p99', h.percentile(fromCreate, 99), 'ms', 'as above'),
    h.metric('produce request p50', h.percentile(rtts, 50), 'ms', `round trip of one POST of ${BATCH} messages (acks=-1), part of the latency above`),
    h.metric('produce request p99', h.percentile(rtts, 99), 'ms', 'as above'),
    h.metric('server event-loop p99', runtime.eventLoopDelayMs.p99, 'ms', 'GET /api/runtime?reset=true before and after the run'),
    h.metric('server CPU', serverCpuPct, '% of a core', 'user+system time of the server process over the sending time'),
    h.metric('idle probe loop p99', idle.p99, 'ms', 'event-loop delay p99 of an idle Node process over the run: what CPU contention on the machine alone costs'),
    h.metric('achieved send rate', acked / (sendMs / 1000), 'msg/s', 'acknowledged messages / sending time'),
    h.metric('not delivered', lost, 'msgs', 'acknowledged but not received on the socket within 15 s after sending stopped'),
  ];
  return {
    metrics,
    details: { rate, seconds, batch: BATCH, consumerId: consumer.id, sent: seq, acked, failed, skipped, received, dupes, counted: latencies.length, errorSamples, serverRuntime: runtime, idleProbe: idle },
  };
}

module.exports = { description, run };
