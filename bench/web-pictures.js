'use strict';
/**
 * web-pictures: the web page (clients/web) in Debian's Chromium (playwright-core) on a cluster of
 * BENCH_WEB_TOPICS (20) topics × 6 partitions, RF 3, read by BENCH_WEB_CONSUMERS (50) API consumers in
 * groups of 5 (group g reads topics g and g + groups, so every topic is read).
 *
 * 1. Page load → first full picture, BENCH_WEB_LOADS (3) fresh pages, median. "Full picture": the
 *    moment (performance.now() from navigation start, stamped by a MutationObserver the bench injects
 *    before the page's scripts) when all of these hold at once: the socket says `live`; the topic list
 *    and the partition map's picker name every topic; the partition map of the shown topic has a row per
 *    partition, each with a leader cell, and a column per broker; every consumer has its card; the
 *    group view's picker names every group and its lanes show the shown group's members with their
 *    partitions (as many chips as the topics it reads have partitions) and its offsets table has a row
 *    per partition.
 * 2. With that page open (following all 50 consumers' message streams, as an instructor's page does):
 *    ~BENCH_WEB_RATE (500) msg/s produced over HTTP as batches every 100 ms, open loop, topics in turn,
 *    for BENCH_WEB_SECONDS (20) s; at the middle a broker is killed (POST /api/cluster/nodes/{id}/kill).
 *    Frames per second: requestAnimationFrame callbacks counted inside the page, per wall-clock second.
 *    Bytes per second the page received: CDP Network.webSocketFrameReceived payload lengths + HTTP
 *    Network.loadingFinished encodedDataLength, per second.
 */
const os = require('node:os');
const h = require('./lib/harness');

const description = 'web page: load → full picture (20 topics × 6, 50 consumers), frame rate and bytes/s at 500 msg/s with a broker killed';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Injected before the page's own scripts: frame counting and the first time each part of the picture is there. */
function pageProbe(want) {
  window.__frames = [];
  const tick = () => {
    window.__frames.push(Date.now());
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const marks = (window.__marks = {});
  const q = (s) => document.querySelectorAll(s);
  const checks = {
    live: () => { const el = document.querySelector('[data-testid=live-status]'); return !!el && el.textContent.trim() === 'live'; },
    topics: () => {
      const rows = new Set([...q('[data-testid=topic-row]')].map((r) => r.dataset.topic));
      const opts = new Set([...q('[data-testid=pmap-topic] option')].map((o) => o.value));
      return want.topics.every((t) => rows.has(t) && opts.has(t));
    },
    map: () => {
      const rows = q('[data-testid=pmap-row]');
      if (rows.length !== want.partitions) return false;
      if ([...rows].some((r) => r.dataset.leader === 'none' || !r.querySelector('[data-role=leader]'))) return false;
      return q('[data-testid=pmap-broker]').length >= want.brokers;
    },
    consumers: () => {
      const ids = new Set([...q('[data-testid=consumer-card]')].map((c) => c.dataset.consumerId));
      return want.consumers.every((id) => ids.has(id));
    },
    groups: () => {
      const opts = new Set([...q('[data-testid=gview-group] option')].map((o) => o.value));
      if (!want.groups.every((g) => opts.has(g))) return false;
      const lanes = q('[data-testid=gview-lane]');
      // The offsets table drawn (its rows are the partitions Kafka tells offsets for).
      return lanes.length === want.perGroup && q('[data-testid=gview-chip]').length === want.groupPartitions &&
        q('[data-testid=gview-offsets] thead').length === 1;
    },
  };
  const check = () => {
    const t = performance.now();
    let all = true;
    for (const [k, fn] of Object.entries(checks)) {
      let ok = false;
      try { ok = fn(); } catch { ok = false; }
      if (ok && marks[k] == null) marks[k] = t;
      all = all && ok;
    }
    if (all && marks.full == null) {
      marks.full = t;
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

/** Per-second counts of stamps (ms) from `from` for `seconds` s. */
function perSecond(stamps, from, seconds, weight = () => 1) {
  const bins = new Array(seconds).fill(0);
  for (const s of stamps) {
    const t = typeof s === 'number' ? s : s.t;
    const i = Math.floor((t - from) / 1000);
    if (i >= 0 && i < seconds) bins[i] += weight(s);
  }
  return bins;
}

async function run(ctx) {
  const { chromium } = require('playwright-core');
  const nTopics = Number(process.env.BENCH_WEB_TOPICS || 20);
  const partitions = 6;
  const nConsumers = Number(process.env.BENCH_WEB_CONSUMERS || 50);
  const perGroup = 5;
  const nGroups = Math.ceil(nConsumers / perGroup);
  const loads = Number(process.env.BENCH_WEB_LOADS || 3);
  const rate = Number(process.env.BENCH_WEB_RATE || 500);
  const seconds = Number(process.env.BENCH_WEB_SECONDS || 20);
  const metrics = [];
  const details = { topics: nTopics, partitions, consumers: nConsumers, groups: nGroups, perGroup, rate, seconds, chromium: CHROMIUM };

  const server = await ctx.start({ env: { LAB_BROKERS: '3', LAB_CONTROLLERS: '1' } });
  const suffix = Date.now().toString(36);
  const topics = Array.from({ length: nTopics }, (_, i) => `web-${suffix}-t${String(i).padStart(2, '0')}`);
  for (const t of topics) await h.createTopic(server, t, partitions, 3);
  for (const t of topics) await h.waitFullIsr(server, t, 3, 120_000, 500);
  ctx.log(`${nTopics} topics × ${partitions} partitions, full ISR`);

  // Group g reads topics g and g + nGroups (when there is one): every topic is read by some group.
  const groups = Array.from({ length: nGroups }, (_, g) => `web-${suffix}-g${String(g).padStart(2, '0')}`);
  const groupTopics = groups.map((_, g) => [topics[g % nTopics], ...(g + nGroups < nTopics ? [topics[g + nGroups]] : [])]);
  const specs = Array.from({ length: nConsumers }, (_, i) => {
    const g = i % nGroups;
    return { topics: groupTopics[g], groupId: groups[g], name: `web-${i}` };
  });
  const consumers = [];
  const tc = h.now();
  await h.pool(specs, 5, async (spec) => {
    consumers.push(await server.api.ok('POST', '/api/consumers', spec, { timeoutMs: 180_000 }));
  });
  await h.waitFor('every consumer running', async () => {
    const all = await server.api.ok('GET', '/api/consumers');
    const mine = all.filter((c) => consumers.some((x) => x.id === c.id));
    return mine.length === consumers.length && mine.every((c) => c.state === 'running');
  }, 180_000, 1000);
  details.createConsumersMs = h.round(h.now() - tc, 0);
  ctx.log(`${consumers.length} consumers running after ${(details.createConsumersMs / 1000).toFixed(0)} s`);

  const cluster = await server.api.ok('GET', '/api/cluster');
  const brokers = (cluster.brokers || []).map((b) => b.id);
  // The group view shows the first group in id order; its partitions are those of its topics.
  const want = {
    topics,
    partitions,
    brokers: brokers.length,
    consumers: consumers.map((c) => c.id),
    groups,
    perGroup: specs.filter((s) => s.groupId === groups[0]).length,
    groupPartitions: groupTopics[0].length * partitions,
  };

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const pageErrors = [];
  const consoleErrors = [];
  try {
    // ---- 1. load → full picture ----
    const loadRuns = [];
    let page = null;
    for (let i = 0; i < loads; i++) {
      if (page) await page.close();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await page.addInitScript(pageProbe, want);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      let httpBytes = 0;
      let wsBytes = 0;
      cdp.on('Network.loadingFinished', (e) => (httpBytes += e.encodedDataLength || 0));
      cdp.on('Network.webSocketFrameReceived', (e) => (wsBytes += Buffer.byteLength(e.response.payloadData || '')));
      const t0 = h.now();
      // The token in the fragment: never sent to the server (the page takes it and clears it).
      await page.goto(`${server.url}/#token=${server.token}`);
      const ok = await page.waitForFunction(() => window.__marks && window.__marks.full != null, null, { timeout: 60_000, polling: 200 }).then(() => true, () => false);
      if (!ok) {
        const seen = await page.evaluate(() => ({ marks: window.__marks, cards: document.querySelectorAll('[data-testid=consumer-card]').length, rows: document.querySelectorAll('[data-testid=pmap-row]').length,
          lanes: document.querySelectorAll('[data-testid=gview-lane]').length, chips: document.querySelectorAll('[data-testid=gview-chip]').length, topics: document.querySelectorAll('[data-testid=topic-row]').length }));
        throw new Error(`no full picture within 60 s: ${JSON.stringify(seen)} (wanted ${want.partitions} rows, ${want.consumers.length} cards, ${want.perGroup} lanes, ${want.groupPartitions} chips)`);
      }
      const marks = await page.evaluate(() => ({ ...window.__marks, nav: performance.timing.navigationStart, dcl: performance.timing.domContentLoadedEventEnd - performance.timing.navigationStart }));
      const run = { wallMs: h.round(h.now() - t0, 0), ...Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, h.round(v, 0)])), httpBytes, wsBytes };
      delete run.nav;
      loadRuns.push(run);
      ctx.log(`load ${i + 1}: full picture at ${run.full} ms (live ${run.live}, topics ${run.topics}, map ${run.map}, consumers ${run.consumers}, groups ${run.groups}); ${(httpBytes / 1024).toFixed(0)} KiB HTTP, ${(wsBytes / 1024).toFixed(0)} KiB socket`);
      if (i < loads - 1) await context.close().then(() => (page = null));
    }
    details.loads = loadRuns;
    const med = (k) => h.median(loadRuns.map((r) => r[k]).filter((v) => v != null));
    metrics.push(h.metric('load → full picture', med('full'), 'ms', `median of ${loads} fresh browser contexts: navigation start → the first moment the socket is live, the topic list and map picker name all ${nTopics} topics, the map of the shown topic has ${partitions} rows with leaders and a column per broker, all ${nConsumers} consumer cards exist, and the group view lists all ${nGroups} groups with the shown group's lanes, chips and offset rows (MutationObserver stamp, performance.now())`));
    metrics.push(h.metric('load → socket live', med('live'), 'ms', 'as above, the live badge alone'));
    metrics.push(h.metric('load → partition map drawn', med('map'), 'ms', 'as above, the shown topic\'s map alone'));
    metrics.push(h.metric('load → all consumer cards', med('consumers'), 'ms', 'as above'));
    metrics.push(h.metric('load → group view drawn', med('groups'), 'ms', 'as above'));
    metrics.push(h.metric('bytes received during the load', h.median(loadRuns.map((r) => r.httpBytes + r.wsBytes)) / 1024, 'KiB', 'HTTP encodedDataLength + socket frames, navigation → full picture (median)'));

    // ---- 2. 500 msg/s, a broker killed at the middle: frames and bytes ----
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const received = [];
    cdp.on('Network.loadingFinished', (e) => received.push({ t: h.now(), n: e.encodedDataLength || 0, kind: 'http' }));
    cdp.on('Network.webSocketFrameReceived', (e) => received.push({ t: h.now(), n: Buffer.byteLength(e.response.payloadData || ''), kind: 'ws' }));
    const victim = (await h.describeTopic(server, topics[0])).partitions[0].leader; // the shown map loses a leader
    await page.evaluate(() => (window.__frames = []));
    const perTick = Math.max(1, Math.round(rate / 10));
    const acks = [];
    const inflight = [];
    let seq = 0;
    let killAt = null;
    let killMs = null;
    const start = h.now();
    const clockSkew = await page.evaluate(() => Date.now()).then((d) => d - h.now()); // page Date.now() - bench clock
    details.pageClockSkewMs = h.round(clockSkew, 0);
    for (let tick = 0; tick < seconds * 10; tick++) {
      const due = start + tick * 100;
      const wait = due - h.now();
      if (wait > 0) await h.sleep(wait);
      const topic = topics[tick % topics.length];
      const messages = Array.from({ length: perTick }, () => ({ key: `k${seq % 97}`, value: `m${seq++}|${Date.now()}|web-pictures bench payload` }));
      inflight.push(server.api.post(`/api/topics/${topic}/messages`, { messages }, { timeoutMs: 60_000 })
        .then((r) => acks.push({ t: h.now(), n: r.status === 201 || r.status === 200 ? messages.length : 0, ms: r.ms, status: r.status }))
        .catch((e) => acks.push({ t: h.now(), n: 0, error: e.message })));
      if (tick === seconds * 5) {
        killAt = h.now();
        inflight.push(server.api.ok('POST', `/api/cluster/nodes/${victim}/kill`).then(() => (killMs = h.now() - killAt)));
        ctx.log(`killed broker ${victim} at ${((killAt - start) / 1000).toFixed(1)} s`);
      }
    }
    const end = start + seconds * 1000;
    await Promise.all(inflight);
    // The greyed column, for the record (the e2e test asserts its 2 s).
    const greyed = await page.locator(`[data-testid=pmap-broker][data-broker="${victim}"][data-down=true]`).count();
    const frames = await page.evaluate(() => window.__frames);
    const fps = perSecond(frames.map((f) => f - clockSkew), start, seconds);
    const bytes = perSecond(received, start, seconds, (r) => r.n);
    const wsBytes = perSecond(received.filter((r) => r.kind === 'ws'), start, seconds, (r) => r.n);
    const wsFrames = perSecond(received.filter((r) => r.kind === 'ws'), start, seconds);
    const ackedPerSec = perSecond(acks, start, seconds, (a) => a.n);
    const afterKill = Math.floor((killAt - start) / 1000);
    details.flow = { victim, killAtS: h.round((killAt - start) / 1000, 1), killCallMs: h.round(killMs, 0), greyedAtEnd: greyed === 1, fps, bytesPerS: bytes, wsBytesPerS: wsBytes, wsFramesPerS: wsFrames, ackedPerS: ackedPerSec,
      produceErrors: acks.filter((a) => a.n === 0).slice(0, 10), produceP50: h.round(h.percentile(acks.filter((a) => a.ms).map((a) => a.ms), 50), 0), produceP99: h.round(h.percentile(acks.filter((a) => a.ms).map((a) => a.ms), 99), 0) };
    ctx.log(`fps per s: ${fps.join(' ')}`);
    ctx.log(`KiB per s: ${bytes.map((b) => (b / 1024).toFixed(0)).join(' ')}`);
    ctx.log(`acked msg per s: ${ackedPerSec.join(' ')}`);
    const acked = acks.reduce((a, b) => a + b.n, 0);
    metrics.push(h.metric('produced (acknowledged)', acked / ((Math.max(end, ...acks.map((a) => a.t)) - start) / 1000), 'msg/s', `${perTick} messages every 100 ms over HTTP (open loop, topics in turn) for ${seconds} s; broker ${victim} killed at ${h.round((killAt - start) / 1000, 1)} s`));
    metrics.push(h.metric('frame rate, median second', h.median(fps), 'fps', 'requestAnimationFrame callbacks counted in the page per wall-clock second of the flow (headless Chromium, --disable-gpu)'));
    metrics.push(h.metric('frame rate, worst second', Math.min(...fps), 'fps', 'as above, the lowest second'));
    metrics.push(h.metric('frame rate, worst second before the kill', Math.min(...fps.slice(0, afterKill)), 'fps', 'the lowest second before the kill call'));
    metrics.push(h.metric('frame rate, worst second from the kill', Math.min(...fps.slice(afterKill)), 'fps', 'the lowest second from the kill call to the end (the produce backlog of the leader move lands then)'));
    metrics.push(h.metric('longest frame gap', Math.max(0, ...frames.slice(1).map((f, i) => f - frames[i]).filter((_, i) => frames[i] - clockSkew >= start && frames[i] - clockSkew < end)), 'ms', 'longest time between two animation frames during the flow'));
    metrics.push(h.metric('bytes received, median second', h.median(bytes) / 1024, 'KiB/s', 'CDP Network.webSocketFrameReceived payload lengths + Network.loadingFinished encodedDataLength (HTTP), per second of the flow'));
    metrics.push(h.metric('bytes received, peak second', Math.max(...bytes) / 1024, 'KiB/s', 'as above, the highest second'));
    metrics.push(h.metric('socket frames received, median second', h.median(wsFrames), 'frames/s', 'socket.io frames the page received per second'));
    metrics.push(h.metric('broker column greyed', greyed === 1 ? 'yes' : 'no', '', 'the killed broker\'s [data-down=true] header at the end of the flow'));
    metrics.push(h.metric('page errors', pageErrors.length, '', 'pageerror events during the whole run', '<= 0'));
    metrics.push(h.metric('console errors', consoleErrors.length, '', 'console.error messages during the whole run (a killed broker may make some)'));
    details.pageErrors = pageErrors.slice(0, 20);
    details.consoleErrors = consoleErrors.slice(0, 20);
    details.load = os.loadavg();
  } finally {
    await browser.close();
  }
  return { metrics, details };
}

module.exports = { description, run };
