#!/usr/bin/env node
// `npm run screenshots`: PNGs of the page's pictures (partition map, group view, rebalance swimlane,
// rates, the instructor's board) into docs/screenshots/, at 1280×800 and at phone width.
// Starts its own lab server on a fresh 3-broker cluster (dist/, so `npm run build` first — the npm
// script does), plays a short scenario through the API, takes the pictures, and stops the server.
// LAB_URL and LAB_TOKEN (an instructor's) point it at a running server instead; it then leaves a
// topic, a group and a student behind, named screenshots-*.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const sleepless = (what, probe, timeoutMs = 60_000) => new Promise((resolve, reject) => {
  const deadline = Date.now() + timeoutMs;
  const go = async () => {
    let v;
    try { v = await probe(); } catch { v = undefined; }
    if (v) return resolve(v);
    if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
    setTimeout(go, 200);
  };
  go();
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
const canListen = (port) => new Promise((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve(false));
  s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
});
async function freePortBase(span = 40) {
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor((Math.random() * 12000) / span) * span;
    if ((await Promise.all(Array.from({ length: span }, (_, k) => canListen(base + k)))).every(Boolean)) return base;
  }
  throw new Error('no free block of ports for the cluster');
}

/** The server this script starts, or the one LAB_URL names. */
async function server() {
  if (process.env.LAB_URL) return { url: process.env.LAB_URL.replace(/\/$/, ''), token: process.env.LAB_TOKEN, stop: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-screenshots-'));
  const port = await freePort();
  const token = `screenshots-${Math.random().toString(36).slice(2)}`;
  const log = fs.openSync(path.join(dir, 'server.log'), 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LAB_HOST: '127.0.0.1', LAB_DATA_DIR: path.join(dir, 'lab'), LAB_KAFKA_PORT_BASE: String(await freePortBase()),
      LAB_INSTRUCTOR_TOKEN: token, LAB_BROKERS: '3', LAB_CONTROLLERS: '1', LAB_CONSUMER_SESSION_TIMEOUT_MS: '6000' },
    stdio: ['ignore', log, log],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => new Promise((resolve) => {
    if (exited) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM'); // the server stops its own Kafka nodes
    setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 90_000).unref();
  });
  try {
    await sleepless('the lab server and its cluster running', async () => {
      if (exited) throw Object.assign(new Error(`the lab server exited; see ${dir}/server.log`), { fatal: true });
      const r = await fetch(`${url}/api/health`);
      return r.ok && (await r.json()).cluster.state === 'running';
    }, 600_000);
  } catch (e) {
    await stop();
    throw e;
  }
  process.stdout.write(`% lab server ${url} (data ${dir})\n`);
  return { url, token, stop: async () => { await stop(); fs.rmSync(path.join(dir, 'lab'), { recursive: true, force: true }); } };
}

async function main() {
  const lab = await server();
  const call = async (method, p, body, token = lab.token) => {
    const r = await fetch(`${lab.url}/api${p}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const errors = [];
  const started = [];
  let stopped = null;
  try {
    fs.mkdirSync(OUT, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${lab.url}/#token=${lab.token}`);
    await page.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 30_000 });

    // A topic, a classic group of two (then three) members reading it, and messages.
    const suffix = Date.now().toString(36);
    const topic = `screenshots-orders-${suffix}`;
    const group = `screenshots-billing-${suffix}`;
    await call('POST', '/topics', { name: topic, partitions: 6, replicationFactor: 3 });
    const consumer = async (name) => {
      const c = await call('POST', '/consumers', { topics: [topic], groupId: group, name });
      started.push(c.id);
      await sleepless(`${name} running`, async () => (await call('GET', `/consumers/${c.id}`)).state === 'running');
      return c.id;
    };
    await consumer('alice');
    await page.selectOption('[data-testid=pmap-topic]', topic).catch(() => {});
    await page.locator(`[data-testid=gview-group] option[value="${group}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    await page.selectOption('[data-testid=gview-group]', group);
    for (let round = 0; round < 4; round++) {
      await call('POST', `/topics/${topic}/messages`, { messages: Array.from({ length: 40 + round * 30 }, (_, i) => ({ key: `k${i}`, value: `order ${round}-${i}` })) });
      if (round === 1) await consumer('bob');
      if (round === 2) await consumer('carol');
    }
    // A student who passed a checkpoint, for the board.
    const student = await call('POST', '/students', { name: 'Ada Lovelace' });
    await call('POST', '/students', { name: 'Grace Hopper' });
    await call('POST', '/topics', { name: 'failsafe-test-topic', partitions: 3, replicationFactor: 3 }, student.token);

    // A broker stopped: its column greys and its partitions move.
    const victim = (await call('GET', `/topics/${topic}`)).partitions[0].leader;
    await call('POST', `/cluster/nodes/${victim}/stop`);
    stopped = victim;
    await page.locator(`[data-testid=pmap-broker][data-broker="${victim}"][data-down=true]`).waitFor({ timeout: 30_000 });
    await sleepless('new leaders', async () => (await call('GET', `/topics/${topic}`)).partitions.every((p) => p.leader !== victim && p.leader !== null));
    await page.locator(`[data-testid=pmap-row][data-leader="${victim}"]`).first().waitFor({ state: 'detached', timeout: 10_000 });
    await call('POST', `/topics/${topic}/messages`, { messages: Array.from({ length: 50 }, (_, i) => ({ value: `late ${i}` })) });
    await page.locator(`[data-testid=rates-topic][data-topic="${topic}"] canvas`).first().waitFor({ timeout: 10_000 });
    await page.locator('[data-testid=board-cell][data-passed=true]').first().waitFor({ timeout: 30_000 });

    const shoot = async (testid, file) => {
      const el = page.locator(`[data-testid=${testid}]`);
      await el.scrollIntoViewIfNeeded();
      await el.screenshot({ path: path.join(OUT, file) });
      process.stdout.write(`% ${path.relative(ROOT, path.join(OUT, file))}\n`);
    };
    await shoot('pmap-panel', 'partition-map.png');
    await shoot('gview-panel', 'group-view.png');
    await shoot('swim-panel', 'swimlane.png');
    await shoot('rates-panel', 'rates.png');
    await shoot('board-panel', 'board.png');

    // Phone width: the same page, one column.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('[data-testid=pmap-panel]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'phone-partition-map.png') });
    await page.locator('[data-testid=gview-panel]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'phone-group-view.png') });
    process.stdout.write('% docs/screenshots/phone-partition-map.png, phone-group-view.png\n');
    if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
  } finally {
    await browser.close();
    if (stopped != null) await call('POST', `/cluster/nodes/${stopped}/start`).catch(() => {});
    for (const id of started) await call('DELETE', `/consumers/${id}`).catch(() => {});
    await lab.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`screenshots: ${e.message}\n`);
  process.exit(1);
});
