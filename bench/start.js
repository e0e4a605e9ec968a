'use strict';
/**
 * start: how long from spawning `node dist/main.js` until GET /api/health says cluster.state "running"
 * (1 controller + 3 brokers), for each Kafka release of BENCH_START_VERSIONS (default "4.4.0,3.9.2":
 * the default next to the last 3.9, in one run), in four situations:
 *   cold        - empty LAB_KAFKA_CACHE AND an empty Maven local repository (MAVEN_OPTS
 *                 -Dmaven.repo.local=<empty dir>): a machine that never fetched Kafka; mvn downloads its
 *                 plugins and ~50-60 jars from Maven Central.
 *   cold-m2     - empty LAB_KAFKA_CACHE, the machine's own Maven repository (~/.m2): mvn resolves what it
 *                 already has and copies the jars (download only of what is missing there).
 *   warm        - jar cache present, fresh data dir (format + first start).
 *   restart     - jar cache present, the data dir of the warm run kept (the next `npm start`).
 * Warm and restart are repeated (BENCH_START_REPS, default 3) and the median reported.
 */
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');

const description = 'cold/warm/restart start of 1 controller + 3 brokers, per Kafka release: spawn to cluster.state running';

/** Spawns and polls health every 100 ms; also notes when the log says the Kafka fetch finished. */
async function timedStart(ctx, opts) {
  const server = await ctx.spawn(opts);
  const t0 = server.spawnedAt;
  let httpMs = null;
  let fetchMs = null;
  let startingMs = null;
  const deadline = t0 + 20 * 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}) while starting:\n${h.tail(server.logFile)}`);
    if (fetchMs === null && opts.watchFetch) {
      const text = fs.readFileSync(server.logFile, 'utf8');
      if (/Kafka \S+ is ready \(\d+ jars\)/.test(text)) fetchMs = h.now() - t0;
    }
    try {
      const r = await server.api.get('/api/health', { auth: false, timeoutMs: 5000 });
      if (r.status === 200) {
        if (httpMs === null) httpMs = h.now() - t0;
        const st = r.body.cluster.state;
        if (startingMs === null && st === 'starting') startingMs = h.now() - t0;
        if (st === 'running') {
          return { server, runningMs: h.now() - t0, httpMs, fetchMs, startingMs };
        }
      }
    } catch {
      /* not listening yet */
    }
    if (h.now() > deadline) throw new Error(`no running cluster after 20 minutes:\n${h.tail(server.logFile)}`);
    await h.sleep(100);
  }
}

async function run(ctx) {
  const reps = Number(process.env.BENCH_START_REPS || 3);
  const skipCold = process.env.BENCH_START_SKIP_COLD === '1';
  const versions = (process.env.BENCH_START_VERSIONS || '4.4.0,3.9.2').split(',').map((v) => v.trim()).filter(Boolean);
  const metrics = [];
  const details = { reps, versions, runs: [] };
  const tmp = [];

  try {
    for (const version of versions) {
      // Every run of this release names it; the warm runs use the machine's cache (LAB_KAFKA_CACHE as set).
      const env = { KAFKA_VERSION: version };
      const note = (kind, r) => {
        const row = { version, kind, runningMs: h.round(r.runningMs, 0), firstHttpMs: h.round(r.httpMs, 0), fetchDoneMs: h.round(r.fetchMs, 0) };
        details.runs.push(row);
        ctx.log(`${version} ${kind}: running after ${(r.runningMs / 1000).toFixed(1)} s (HTTP answered after ${(r.httpMs / 1000).toFixed(1)} s${r.fetchMs ? `, Kafka fetched after ${(r.fetchMs / 1000).toFixed(1)} s` : ''})`);
        return row;
      };
      if (!skipCold) {
        // cold: nothing cached anywhere.
        const cache = h.tmpDir('start-cache');
        tmp.push(cache);
        const m2 = path.join(cache, 'm2-repository');
        const mavenOpts = `${process.env.MAVEN_OPTS ?? ''} -Dmaven.repo.local=${m2}`.trim();
        const cold = await timedStart(ctx, { env: { ...env, LAB_KAFKA_CACHE: cache, MAVEN_OPTS: mavenOpts }, watchFetch: true });
        const c = note('cold', cold);
        await ctx.stop(cold.server);
        metrics.push(h.metric(`${version} cold start`, c.runningMs / 1000, 's', `KAFKA_VERSION=${version}: spawn of node dist/main.js -> GET /api/health cluster.state=running (polled every 100 ms); empty LAB_KAFKA_CACHE and empty Maven local repo (MAVEN_OPTS -Dmaven.repo.local), fresh data dir; 1 run`));
        if (c.fetchDoneMs !== null) metrics.push(h.metric(`${version} cold: Kafka fetched (mvn)`, c.fetchDoneMs / 1000, 's', 'spawn -> the server log line "Kafka <v> is ready (<n> jars)"'));

        // cold-m2: jar cache empty, Maven's own repository as the machine has it.
        const cache2 = h.tmpDir('start-cache');
        tmp.push(cache2);
        const coldM2 = await timedStart(ctx, { env: { ...env, LAB_KAFKA_CACHE: cache2 }, watchFetch: true });
        const c2 = note('cold-m2', coldM2);
        await ctx.stop(coldM2.server);
        metrics.push(h.metric(`${version} cold start, ~/.m2 present`, c2.runningMs / 1000, 's', 'as cold, but mvn uses the machine\'s ~/.m2 (jars resolved locally, copied into the empty LAB_KAFKA_CACHE); 1 run'));
      }

      const warm = [];
      const restart = [];
      for (let i = 0; i < reps; i++) {
        const w = await timedStart(ctx, { env });
        warm.push(note('warm', w).runningMs);
        const dataDir = w.server.dataDir;
        await ctx.stop(w.server, { keepData: true });
        const r = await timedStart(ctx, { env, dataDir });
        restart.push(note('restart', r).runningMs);
        await ctx.stop(r.server);
      }
      metrics.push(h.metric(`${version} warm start (median)`, h.median(warm) / 1000, 's', `KAFKA_VERSION=${version}: spawn -> cluster.state=running, jar cache present, fresh data dir (storage format + first start); median of ${reps}: ${warm.map((v) => (v / 1000).toFixed(1)).join(', ')} s`, '<= 30'));
      metrics.push(h.metric(`${version} restart (median)`, h.median(restart) / 1000, 's', `KAFKA_VERSION=${version}: spawn -> cluster.state=running with the data dir of the warm run kept; median of ${reps}: ${restart.map((v) => (v / 1000).toFixed(1)).join(', ')} s`, '<= 30'));
    }
    return { metrics, details };
  } finally {
    await ctx.finish(); // no JVM may still use a cache dir we remove
    if (process.env.BENCH_KEEP_DATA !== '1') for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
  }
}

module.exports = { description, run };
