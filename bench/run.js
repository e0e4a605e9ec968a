#!/usr/bin/env node
'use strict';
/**
 * Runs benchmarks one after another (never two at once: they share 2 cores), prints a table and writes
 * bench/results/<name>-<stamp>.json for each.
 *
 *   node bench/run.js                 # all, in order: start failover produce latency rebalance protocols handoff scale host-rss class-60 grading web-pictures class-listener
 *   node bench/run.js produce latency # only these
 *
 * Needs a built server (dist/): `npm run bench` builds first. Each benchmark starts its own lab server
 * (own data dir under bench/results/tmp-*, free ports, own instructor token) and stops it.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness');

const ORDER = ['start', 'failover', 'produce', 'latency', 'rebalance', 'protocols', 'handoff', 'scale', 'host-rss', 'class-60', 'grading', 'web-pictures', 'class-listener'];

function usage() {
  process.stderr.write(`usage: node bench/run.js [${ORDER.join('|')} ...]\n`);
  process.exit(2);
}

function context(name, runStamp) {
  const servers = [];
  const stops = [];
  return {
    name,
    stamp: runStamp,
    log: (...a) => h.log(`[${name}]`, ...a),
    /** Starts a server and waits for cluster state running. */
    async start(opts) {
      const s = await h.spawnServer({ label: name, ...opts });
      servers.push(s); // registered first: a server that fails to start is still stopped and its log kept
      s.startTimes = await h.waitForState(s, 'running', opts && opts.timeoutMs ? opts.timeoutMs : 600_000);
      return s;
    },
    /** Spawns a server without waiting (the caller times the start itself). */
    async spawn(opts) {
      const s = await h.spawnServer({ label: name, ...opts });
      servers.push(s);
      return s;
    },
    /** Stops it, checks for Kafka JVMs left behind, keeps its log, removes its data (unless keepData). */
    async stop(server, { keepData = false } = {}) {
      if (server.stopped) return server.stopped;
      server.api.close();
      const r = await h.stopServer(server);
      server.stopped = r;
      let log = null;
      if (!keepData) log = h.archive(server, name, runStamp);
      stops.push({ label: server.label, stopMs: h.round(r.stopMs, 0), leftJvms: r.leftJvms, log });
      if (r.leftJvms.length) h.log(`[${name}] WARNING: Kafka JVMs ${r.leftJvms.join(', ')} outlived the server; killed them by pid`);
      return r;
    },
    async finish() {
      for (const s of servers) await this.stop(s);
      return stops;
    },
  };
}

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function printTable(rows) {
  const head = ['benchmark', 'metric', 'value', 'unit', 'goal', 'ok'];
  const body = rows.map((r) => [r.bench, r.name, r.value === null || r.value === undefined ? '-' : r.value, r.unit ?? '', r.goal ?? '', r.pass === undefined ? '' : r.pass === null ? '?' : r.pass ? 'yes' : 'NO']);
  const widths = head.map((_, i) => Math.max(head[i].length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => cells.map((c, i) => pad(c, widths[i])).join('  ');
  process.stdout.write(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const b of body) process.stdout.write(`${line(b)}\n`);
  process.stdout.write('\n');
}

async function main() {
  const names = process.argv.slice(2);
  if (names.some((n) => n === '-h' || n === '--help')) usage();
  const todo = names.length ? names : ORDER;
  for (const n of todo) if (!ORDER.includes(n)) usage();
  if (!fs.existsSync(path.join(h.ROOT, 'dist', 'main.js'))) {
    process.stderr.write('dist/main.js is missing: build first (npm run build), or use npm run bench.\n');
    process.exit(2);
  }
  fs.mkdirSync(h.RESULTS, { recursive: true });

  let interrupted = false;
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    h.log(`${sig}: stopping the servers the benchmarks started...`);
    h.stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const rows = [];
  const files = [];
  let failed = 0;
  for (const name of todo) {
    const runStamp = h.stamp();
    const ctx = context(name, runStamp);
    const bench = require(`./${name}.js`);
    const started = new Date();
    const loadAtStart = os.loadavg().map((l) => h.round(l, 2));
    h.log(`=== ${name}: ${bench.description}`);
    let result;
    let error = null;
    try {
      result = await bench.run(ctx);
    } catch (e) {
      error = e && e.stack ? e.stack : String(e);
      h.log(`[${name}] FAILED: ${error}`);
      failed++;
    }
    const stops = await ctx.finish().catch((e) => [{ error: String(e) }]);
    const out = {
      benchmark: name,
      description: bench.description,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      // Other work on the machine skews every number here: the load averages say how busy it was.
      machine: { node: process.version, cpus: os.cpus().length, platform: process.platform, loadavgAtStart: loadAtStart, loadavgAtEnd: os.loadavg().map((l) => h.round(l, 2)) },
      metrics: result ? result.metrics : [],
      details: result ? result.details : undefined,
      error,
      servers: stops,
    };
    const file = path.join(h.RESULTS, `${name}-${runStamp}.json`);
    fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    files.push(file);
    for (const m of out.metrics) rows.push({ bench: name, ...m });
    if (error) rows.push({ bench: name, name: 'ERROR', value: error.split('\n')[0].slice(0, 100) });
    if (interrupted) break;
  }
  printTable(rows);
  for (const f of files) process.stdout.write(`wrote ${path.relative(process.cwd(), f)}\n`);
  process.exitCode = failed ? 1 : 0;
}

main().catch(async (e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  await h.stopAll();
  process.exit(1);
});
