'use strict';
/**
 * grading: the cost of grading a whole class session. A timeline of BENCH_GRADING_EVENTS (200,000)
 * events of BENCH_GRADING_STUDENTS (60) students is written straight into a fresh data dir's
 * lab.sqlite through the built timeline and roster classes (dist/), as a session of labs A-G would
 * leave it: topics, consumers starting, rebalancing, reading (messages.consumed about once a second
 * per consumer and topic), producers writing, two broker outages with their leader and ISR changes,
 * share consumers acknowledging, releasing and getting records back. Then:
 *  (a) in this process: the engine folds every stored event (read a page at a time, as the service
 *      does at boot), the fold alone from memory, the heap it keeps, and 1,000 more events folded on top;
 *  (b) a lab server on that data dir (LAB_AUTOSTART=false: no Kafka needed) folds it at boot; timed:
 *      the first GET /api/grading, the next ones, and GET /api/grading after 1,000 more events stored
 *      by the server (PATCH /api/class: class.updated, the only events a server without Kafka makes).
 * Also the size of lab.sqlite (+ -wal).
 */
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const h = require('./lib/harness');

const description = 'grading: 200,000 events of 60 students folded by the engine; GET /api/grading after boot and after 1,000 more events';

const STUDENTS = Number(process.env.BENCH_GRADING_STUDENTS || 60);
const EVENTS = Number(process.env.BENCH_GRADING_EVENTS || 200_000);
const MORE = 1000;
const BROKERS = [1, 2, 3];

function dist(p) {
  return require(path.join(h.ROOT, 'dist', p));
}

/** A small seeded generator: the same timeline every run. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const studentId = (i) => `st${String(i).padStart(4, '0')}`;
const ranges = (list) => Object.fromEntries(list.map(([p, a, b]) => [String(p), [[String(a), String(b)]]]));

/**
 * A class session, tick by tick (a tick is a second of the lab): each `emit` is what a publisher of
 * the server would store, with its scope, in the order the server stores them (receipts before the
 * consumer's next event, writes before node events).
 */
class Session {
  constructor(ticks, rand) {
    this.T = ticks;
    this.rand = rand;
    this.out = [];
    this.topics = new Map();
    this.groups = new Map();
    this.consumers = new Map();
    this.down = new Set();
    this.plans = [];
  }

  emit(input, scope) {
    this.out.push({ input, scope });
  }

  // ---- topics and writes -------------------------------------------------------------------

  topic(owner, name, partitions) {
    const t = { name, owner, partitions, end: new Array(partitions).fill(0), leader: [], isr: [] };
    for (let p = 0; p < partitions; p++) {
      t.leader.push(BROKERS[(this.topics.size + p) % BROKERS.length]);
      t.isr.push([...BROKERS]);
    }
    this.topics.set(name, t);
    this.emit({ type: 'topic.created', actor: owner, topic: name, partitions, replicationFactor: 3 }, owner === 'instructor' ? { topic: name } : { topic: name, owner });
    return t;
  }

  produce(actor, t, perPartition) {
    const partitions = {};
    const written = [];
    for (let p = 0; p < t.partitions; p++) {
      const n = perPartition();
      if (n <= 0) continue;
      partitions[String(p)] = n;
      written.push([p, t.end[p], t.end[p] + n - 1]);
      t.end[p] += n;
    }
    if (!written.length) return;
    const count = written.reduce((s, [, a, b]) => s + b - a + 1, 0);
    const owner = t.owner !== 'instructor' ? t.owner : actor !== 'instructor' ? actor : null;
    this.emit({ type: 'messages.produced', actor, topic: t.name, count, partitions, offsets: ranges(written) }, owner ? { topic: t.name, owner } : { topic: t.name });
  }

  // ---- brokers -------------------------------------------------------------------------------

  brokerDown(nodeId, type) {
    this.emit({ type, actor: 'instructor', nodeId, role: 'broker' }, {});
    this.down.add(nodeId);
    for (const t of this.topics.values()) {
      for (let p = 0; p < t.partitions; p++) {
        const scope = t.owner === 'instructor' ? { topic: t.name } : { topic: t.name, owner: t.owner };
        if (t.leader[p] === nodeId) {
          const to = BROKERS.find((b) => !this.down.has(b));
          this.emit({ type: 'partition.leader-changed', actor: 'kafka', topic: t.name, partition: p, from: nodeId, to }, scope);
          t.leader[p] = to;
        }
        const previous = t.isr[p];
        t.isr[p] = previous.filter((b) => b !== nodeId);
        this.emit({ type: 'partition.isr-changed', actor: 'kafka', topic: t.name, partition: p, isr: t.isr[p], previous }, scope);
      }
    }
  }

  brokerUp(nodeId, type) {
    this.emit({ type, actor: 'instructor', nodeId, role: 'broker' }, {});
    this.down.delete(nodeId);
    for (const t of this.topics.values()) {
      for (let p = 0; p < t.partitions; p++) {
        const previous = t.isr[p];
        t.isr[p] = [...previous, nodeId].sort();
        this.emit({ type: 'partition.isr-changed', actor: 'kafka', topic: t.name, partition: p, isr: t.isr[p], previous }, t.owner === 'instructor' ? { topic: t.name } : { topic: t.name, owner: t.owner });
      }
    }
  }

  /** Preferred leaders again (elect-leaders), as after a broker came back. */
  electPreferred() {
    let i = 0;
    for (const t of this.topics.values()) {
      for (let p = 0; p < t.partitions; p++) {
        const preferred = BROKERS[(i + p) % BROKERS.length];
        if (t.leader[p] !== preferred && !this.down.has(preferred)) {
          this.emit({ type: 'partition.leader-changed', actor: 'kafka', topic: t.name, partition: p, from: t.leader[p], to: preferred }, t.owner === 'instructor' ? { topic: t.name } : { topic: t.name, owner: t.owner });
          t.leader[p] = preferred;
        }
      }
      i++;
    }
  }

  // ---- consumers -----------------------------------------------------------------------------

  scope(c) {
    return { owner: c.owner, consumerId: c.id, groupId: c.group.id, topic: c.topics[0] };
  }

  start(owner, id, groupId, topics, protocol = 'classic') {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = { id: groupId, protocol, topics, members: [], pos: new Map(), turn: 0 }));
    const c = { id, owner, group: g, topics, protocol, owned: [], alive: true };
    this.consumers.set(id, c);
    g.members.push(c);
    this.emit({ type: 'consumer.started', actor: owner, consumerId: id, groupId, protocol, topics, fromBeginning: true }, this.scope(c));
    this.rebalance(g, c);
  }

  end(id, type) {
    const c = this.consumers.get(id);
    if (!c || !c.alive) return;
    if (c.owned.length) this.rebalanced(c, [], c.owned, []);
    c.owned = [];
    c.alive = false;
    this.emit({ type, actor: type === 'consumer.crashed' ? 'kafka' : c.owner, consumerId: id, groupId: c.group.id }, this.scope(c));
    this.rebalance(c.group, null);
  }

  rebalanced(c, assigned, revoked, owned) {
    const tps = (keys) => {
      const by = new Map();
      for (const k of keys) {
        const [t, p] = k.split('\u0000');
        if (!by.has(t)) by.set(t, []);
        by.get(t).push(Number(p));
      }
      return [...by].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
    };
    this.emit(
      { type: 'group.rebalanced', actor: 'kafka', groupId: c.group.id, consumerId: c.id, memberId: `${c.id}-m`, generation: 1, protocol: c.protocol, assigned: tps(assigned), revoked: tps(revoked), owned: tps(owned) },
      this.scope(c),
    );
  }

  /** The group's partitions dealt round-robin to its live members: eager (classic), step by step (consumer), all to each (share). */
  rebalance(g, joined) {
    const alive = g.members.filter((m) => m.alive);
    const keys = g.topics.flatMap((t) => Array.from({ length: this.topics.get(t).partitions }, (_, p) => `${t}\u0000${p}`));
    if (g.protocol === 'share') {
      if (joined) this.rebalanced(joined, keys, [], (joined.owned = keys));
      return;
    }
    const next = new Map(alive.map((m) => [m, []]));
    keys.forEach((k, i) => alive.length && next.get(alive[i % alive.length]).push(k));
    if (g.protocol === 'classic') {
      for (const m of alive) {
        const old = m.owned;
        m.owned = next.get(m);
        this.rebalanced(m, m.owned, old, m.owned);
      }
      return;
    }
    // The consumer protocol: first what each member gives up, then what each gets.
    for (const m of alive) {
      const lost = m.owned.filter((k) => !next.get(m).includes(k));
      if (lost.length) this.rebalanced(m, [], lost, (m.owned = m.owned.filter((k) => !lost.includes(k))));
    }
    for (const m of alive) {
      const gained = next.get(m).filter((k) => !m.owned.includes(k));
      if (gained.length) this.rebalanced(m, gained, [], (m.owned = [...m.owned, ...gained]));
    }
  }

  /** Every live consumer reads what is new on its partitions (shares split it by turns). */
  consume() {
    for (const c of this.consumers.values()) {
      if (!c.alive) continue;
      const byTopic = new Map();
      const g = c.group;
      for (const k of c.owned) {
        const [tn, ps] = k.split('\u0000');
        const t = this.topics.get(tn);
        const p = Number(ps);
        const from = g.pos.get(k) ?? 0;
        const to = t.end[p] - 1;
        if (to < from) continue;
        let read = [from, to];
        if (c.protocol === 'share') {
          // The group's members take turns: 5 records each.
          const members = g.members.filter((m) => m.alive);
          const mine = members.indexOf(c);
          const chunk = Math.min(to, from + 4);
          if ((g.turn % members.length) !== mine) continue;
          g.turn++;
          read = [from, chunk];
        }
        g.pos.set(k, read[1] + 1);
        if (!byTopic.has(tn)) byTopic.set(tn, []);
        byTopic.get(tn).push([p, read[0], read[1]]);
      }
      for (const [topic, list] of byTopic) {
        const count = list.reduce((s, [, a, b]) => s + b - a + 1, 0);
        this.emit({ type: 'messages.consumed', actor: 'kafka', consumerId: c.id, groupId: g.id, topic, count, offsets: ranges(list) }, { ...this.scope(c), topic });
        if (c.protocol === 'share') {
          for (const [p, a, b] of list) {
            const offsets = Array.from({ length: b - a + 1 }, (_, i) => String(a + i));
            this.emit({ type: 'share.acknowledged', actor: 'kafka', consumerId: c.id, groupId: g.id, topic, partition: p, offsets, ackType: 'accept' }, this.scope(c));
          }
        }
      }
    }
  }

  /** A share member releases its last record; the next tick it comes back to the other member. */
  release(fromId, toId, topic) {
    const from = this.consumers.get(fromId);
    const to = this.consumers.get(toId);
    const k = `${topic}\u00000`;
    const last = (from.group.pos.get(k) ?? 1) - 1;
    if (last < 0 || !from.alive || !to.alive) return;
    this.emit({ type: 'share.acknowledged', actor: from.owner, consumerId: from.id, groupId: from.group.id, topic, partition: 0, offsets: [String(last)], ackType: 'release' }, this.scope(from));
    this.plans.push(() => {
      this.emit({ type: 'messages.consumed', actor: 'kafka', consumerId: to.id, groupId: to.group.id, topic, count: 1, offsets: ranges([[0, last, last]]) }, { ...this.scope(to), topic });
      this.emit({ type: 'share.redelivered', actor: 'kafka', consumerId: to.id, groupId: to.group.id, topic, partition: 0, offset: String(last), deliveryCount: 2 }, this.scope(to));
    });
  }

  // ---- the session ---------------------------------------------------------------------------

  /** What happens at tick `k`: the labs at fractions of the session, each student a little apart. */
  tick(k, students) {
    const at = (f, s) => k === Math.round(f * this.T) + s.lag;
    const T = this.T;
    if (k === 0) {
      this.emit({ type: 'cluster.started', actor: 'instructor', brokers: 3, controllers: 1 }, {});
      this.topic('instructor', 'events', 6);
      this.start('instructor', 'inst-watch', 'watch', ['events']);
    }
    if (k === Math.round(0.35 * T)) this.brokerDown(2, 'node.killed');
    if (k === Math.round(0.42 * T)) this.brokerUp(2, 'node.started');
    if (k === Math.round(0.45 * T)) this.electPreferred();
    if (k === Math.round(0.7 * T)) this.brokerDown(1, 'node.paused');
    if (k === Math.round(0.73 * T)) this.brokerUp(1, 'node.resumed');
    for (const s of students) {
      const id = s.id;
      const name = (n) => `s-${id}.${n}`;
      if (k === s.lag) {
        this.emit({ type: 'student.joined', actor: id, studentId: id, name: s.name }, { owner: id });
        this.topic(id, name('orders'), 3);
        this.start(id, `${id}-x`, name('shared'), ['events']);
      }
      if (at(0.02, s)) { this.start(id, `${id}-a1`, name('g1'), [name('orders')]); this.start(id, `${id}-a2`, name('g2'), [name('orders')]); }
      if (at(0.05, s)) this.start(id, `${id}-a3`, name('g1'), [name('orders')]);
      if (at(0.2, s)) this.end(`${id}-a2`, 'consumer.stopped');
      if (at(0.25, s)) this.end(`${id}-a1`, 'consumer.killed');
      if (at(0.33, s)) this.start(id, `${id}-a2b`, name('g2'), [name('orders')]);
      if (!s.skipD && at(0.5, s)) this.start(id, `${id}-d1`, name(`audit`), [name('orders')]);
      if (!s.skipD && at(0.52, s)) this.end(`${id}-d1`, 'consumer.stopped');
      if (at(0.55, s)) { this.topic(id, name('stream'), 4); this.start(id, `${id}-f1`, name('inc'), [name('stream')], 'consumer'); }
      if (at(0.57, s)) this.start(id, `${id}-f2`, name('inc'), [name('stream')], 'consumer');
      if (at(0.68, s)) this.end(`${id}-f2`, 'consumer.stopped');
      if (!s.skipG && at(0.75, s)) { this.topic(id, name('jobs'), 1); this.start(id, `${id}-s1`, name('pool'), [name('jobs')], 'share'); this.start(id, `${id}-s2`, name('pool'), [name('jobs')], 'share'); }
      if (!s.skipG && at(0.8, s)) this.release(`${id}-s1`, `${id}-s2`, name('jobs'));
      if (at(0.9, s)) { this.end(`${id}-f1`, 'consumer.stopped'); this.end(`${id}-s1`, 'consumer.stopped'); this.end(`${id}-s2`, 'consumer.stopped'); }
    }
    const plans = this.plans;
    this.plans = [];
    for (const p of plans) p();
    // Writes: the instructor's feed, and each student's producer on their topics.
    this.produce('instructor', this.topics.get('events'), () => 1 + Math.floor(this.rand() * 3));
    for (const s of students) {
      for (const n of ['orders', 'stream', 'jobs']) {
        const t = this.topics.get(`s-${s.id}.${n}`);
        if (t && k % s.every === 0) this.produce(s.id, t, () => Math.floor(this.rand() * 4));
      }
    }
    this.consume();
  }
}

/** The session scaled to `ticks`, stopped once `want` events are out (or after `maxTicks`). */
function session(ticks, want, maxTicks = Infinity) {
  const rand = mulberry32(42);
  const students = Array.from({ length: STUDENTS }, (_, i) => ({
    id: studentId(i + 1),
    name: `Student ${String(i + 1).padStart(2, '0')}`,
    lag: Math.floor(rand() * 8),
    every: 1 + Math.floor(rand() * 2),
    skipD: rand() < 0.1,
    skipG: rand() < 0.2,
  }));
  const s = new Session(ticks, rand);
  let k = 0;
  for (; s.out.length < want && k < maxTicks; k++) s.tick(k, students);
  return { events: s.out.slice(0, want), students, ticks: k };
}

/** The session's length in ticks such that `want` events span about all of it (every lab happens). */
function fitTicks(want) {
  const probe = 200;
  const { events } = session(probe, Infinity, probe);
  return Math.max(50, Math.round((probe * want) / events.length));
}

function fileSize(f) {
  try {
    return fs.statSync(f).size;
  } catch {
    return 0;
  }
}

const mib = (b) => h.round(b / 1024 / 1024, 1);

function gcNow() {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  gc();
  gc();
}

async function run(ctx) {
  const { loadConfig } = dist('config/lab-config');
  const { LabDatabase, DATABASE_FILE } = dist('timeline/lab-database');
  const { LiveBus } = dist('timeline/live-bus');
  const { TimelineService } = dist('timeline/timeline.service');
  const { RosterStore } = dist('class/roster.store');
  const { nameKey } = dist('class/student-name');
  const { hashToken, newToken } = dist('class/student-credentials');
  const { GradingEngine } = dist('grading/engine/grading-engine');

  const metrics = [];
  const details = { students: STUDENTS, events: EVENTS };

  // ---- the timeline ------------------------------------------------------------------------------
  const t0 = h.now();
  const ticks = fitTicks(EVENTS + MORE);
  const { events, students, ticks: used } = session(ticks, EVENTS + MORE);
  details.session = { ticks: used, plannedTicks: ticks, generateMs: h.round(h.now() - t0, 0) };
  details.eventTypes = events.slice(0, EVENTS).reduce((m, { input }) => ((m[input.type] = (m[input.type] || 0) + 1), m), {});
  ctx.log(`session of ${used} ticks: ${EVENTS + MORE} events made in ${details.session.generateMs} ms`);

  const dataDir = h.tmpDir('grading');
  const config = loadConfig({ LAB_DATA_DIR: dataDir });
  let database = new LabDatabase(config);
  const roster = new RosterStore(database);
  roster.insertAll(students.map((s) => ({ id: s.id, name: s.name, nameKey: nameKey(s.name), tokenHash: hashToken(newToken()), joinedAt: new Date().toISOString(), lastSeen: null, removedAt: null })));
  let timeline = new TimelineService(database, new LiveBus());
  const w0 = h.now();
  const write = database.db.transaction((slice) => {
    for (const { input, scope } of slice) timeline.publish(input, scope);
  });
  for (let i = 0; i < EVENTS; i += 5000) write(events.slice(i, Math.min(EVENTS, i + 5000)));
  details.writeMs = h.round(h.now() - w0, 0);
  database.close();
  const dbFile = path.join(dataDir, DATABASE_FILE);
  const closedBytes = fileSize(dbFile) + fileSize(`${dbFile}-wal`);
  ctx.log(`${EVENTS} events stored in ${details.writeMs} ms; lab.sqlite ${mib(closedBytes)} MiB`);
  metrics.push(h.metric('lab.sqlite with 200,000 events (closed)', mib(closedBytes), 'MiB', `lab.sqlite + lab.sqlite-wal after writing ${EVENTS} events of ${STUDENTS} students and closing the database`));

  // ---- (a) the engine, in this process ------------------------------------------------------------
  database = new LabDatabase(config);
  timeline = new TimelineService(database, new LiveBus());
  gcNow();
  const heap0 = process.memoryUsage().heapUsed;
  let engine = new GradingEngine();
  const s0 = h.now();
  let passes = 0;
  for (let after = 0; ; ) {
    const page = timeline.scan(after, 5000);
    for (const { ev, scope } of page) passes += engine.apply(ev, scope).length;
    if (page.length < 5000) break;
    after = page[page.length - 1].ev.seq;
  }
  const scanFoldMs = h.now() - s0;
  gcNow();
  const heapKept = process.memoryUsage().heapUsed - heap0;
  const stored = [];
  const r0 = h.now();
  for (let after = 0; ; ) {
    const page = timeline.scan(after, 5000);
    stored.push(...page);
    if (page.length < 5000) break;
    after = page[page.length - 1].ev.seq;
  }
  const readMs = h.now() - r0;
  database.close();
  const folds = [];
  let fresh;
  for (let r = 0; r < 3; r++) {
    fresh = new GradingEngine();
    const f0 = h.now();
    for (const { ev, scope } of stored) fresh.apply(ev, scope);
    folds.push(h.now() - f0);
  }
  const foldMs = h.median(folds);
  // 1,000 more events of the session, folded on top of the 200,000.
  const extra = events.slice(EVENTS).map(({ input, scope }, i) => ({ ev: { seq: EVENTS + 1 + i, time: new Date().toISOString(), ...input }, scope }));
  const i0 = h.now();
  for (const { ev, scope } of extra) fresh.apply(ev, scope);
  const moreMs = h.now() - i0;

  const perCheckpoint = {};
  const perStudent = [];
  for (const s of students) {
    const mine = [...engine.passed(s.id).keys()];
    perStudent.push(mine.length);
    for (const id of mine) perCheckpoint[id] = (perCheckpoint[id] || 0) + 1;
  }
  details.engine = { passes, perCheckpoint, scanFoldMs: h.round(scanFoldMs, 0), readMs: h.round(readMs, 0), foldRunsMs: folds.map((x) => h.round(x, 0)), heapKeptMiB: mib(heapKept), moreMs: h.round(moreMs, 1) };
  ctx.log(`engine: ${passes} passes (${JSON.stringify(perCheckpoint)}); scan+fold ${h.round(scanFoldMs, 0)} ms, fold ${h.round(foldMs, 0)} ms, 1,000 more ${h.round(moreMs, 1)} ms, heap kept ${mib(heapKept)} MiB`);
  metrics.push(h.metric('engine: read + fold 200,000 events', scanFoldMs, 'ms', 'TimelineService.scan pages of 5,000 from lab.sqlite, each event through GradingEngine.apply (what the service does at boot); one run'));
  metrics.push(h.metric('timeline: read 200,000 events', readMs, 'ms', 'the same TimelineService.scan pages alone (SQLite rows and their JSON bodies), no grading; one run'));
  metrics.push(h.metric('engine: fold 200,000 events', foldMs, 'ms', 'GradingEngine.apply over the 200,000 stored events already in memory; median of 3 fresh engines', '< 1000'));
  metrics.push(h.metric('engine: per event', (foldMs * 1000) / EVENTS, 'µs', 'the fold above / 200,000'));
  metrics.push(h.metric('engine: 1,000 more events', moreMs, 'ms', 'the next 1,000 events of the session folded on top of the 200,000'));
  metrics.push(h.metric('engine: heap kept', mib(heapKept), 'MiB', 'heapUsed after the read + fold minus before, both after a full GC (the world model and passes)'));
  metrics.push(h.metric('engine: checkpoints passed', passes, 'passes', `of ${STUDENTS * 8} possible; per checkpoint in details.engine.perCheckpoint`));

  // ---- (b) the server ----------------------------------------------------------------------------
  const server = await ctx.spawn({ dataDir, env: { LAB_AUTOSTART: 'false' } });
  await h.waitFor('the lab server to answer', async () => {
    if (server.exitCode !== null) throw new Error(`the lab server exited (${server.exitCode}); see ${server.logFile}:\n${h.tail(server.logFile)}`);
    const r = await server.api.get('/api/health', { auth: false, timeoutMs: 5000 }).catch(() => null);
    return r && r.status === 200;
  }, 120_000, 50);
  const bootMs = h.now() - server.spawnedAt;
  const graded = /Graded the timeline up to event (\d+) in (\d+) ms/.exec(fs.readFileSync(server.logFile, 'utf8'));
  details.server = { bootMs: h.round(bootMs, 0), bootFold: graded ? { upTo: Number(graded[1]), ms: Number(graded[2]) } : null };
  metrics.push(h.metric('server: spawn → /api/health answers', bootMs, 'ms', `node dist/main.js on the data dir with ${EVENTS} events, LAB_AUTOSTART=false`));
  if (graded) metrics.push(h.metric('server: grading fold at boot', Number(graded[2]), 'ms', "the service's own log line (Graded the timeline up to event N in X ms): read + fold, before the server listens"));

  const timeGet = async (p) => {
    const g0 = h.now();
    const r = await server.api.get(p, { timeoutMs: 60_000 });
    return { ms: h.now() - g0, status: r.status, body: r.body };
  };
  const first = await timeGet('/api/grading');
  if (first.status === 404) {
    ctx.log('GET /api/grading answers 404: the grading routes are not in this build; (b) stops here');
    details.server.grading = 'not available (404)';
  } else {
    if (first.status !== 200) throw new Error(`GET /api/grading answered ${first.status}: ${JSON.stringify(first.body).slice(0, 300)}`);
    const served = {};
    for (const r of first.body) for (const c of r.checkpoints) if (c.passed) served[c.id] = (served[c.id] || 0) + 1;
    details.server.reports = first.body.length;
    details.server.perCheckpoint = served;
    // The server's fold of the same timeline must grade as the one here did.
    details.server.sameAsEngine = Object.keys({ ...served, ...perCheckpoint }).every((id) => served[id] === perCheckpoint[id]);
    const again = [];
    for (let i = 0; i < 5; i++) again.push((await timeGet('/api/grading')).ms);
    const csv = await timeGet('/api/grading?format=csv');
    // 1,000 more events stored by the server: class.updated (joinOpen off and on), one request each.
    const p0 = h.now();
    for (let i = 0; i < MORE; i++) await server.api.ok('PATCH', '/api/class', { joinOpen: i % 2 === 1 });
    const patchMs = h.now() - p0;
    const after = await timeGet('/api/grading');
    const afterAgain = [];
    for (let i = 0; i < 5; i++) afterAgain.push((await timeGet('/api/grading')).ms);
    const bytes = fileSize(dbFile) + fileSize(`${dbFile}-wal`);
    details.server.getMs = { first: h.round(first.ms, 1), next: again.map((x) => h.round(x, 1)), csv: h.round(csv.ms, 1), after1000: h.round(after.ms, 1), afterAgain: afterAgain.map((x) => h.round(x, 1)) };
    details.server.patch1000Ms = h.round(patchMs, 0);
    details.server.bodyBytes = Buffer.byteLength(JSON.stringify(first.body));
    details.server.sqlite = { mainMiB: mib(fileSize(dbFile)), walMiB: mib(fileSize(`${dbFile}-wal`)) };
    ctx.log(`GET /api/grading: first ${h.round(first.ms, 1)} ms, then ${again.map((x) => h.round(x, 1)).join(', ')} ms; after 1,000 more events ${h.round(after.ms, 1)} ms; csv ${h.round(csv.ms, 1)} ms`);
    metrics.push(h.metric('GET /api/grading, first after boot', first.ms, 'ms', `instructor, ${first.body.length} reports, the first request after /api/health answered`, '< 1000'));
    metrics.push(h.metric('GET /api/grading, next', h.median(again), 'ms', 'median of the 5 requests after the first'));
    metrics.push(h.metric('GET /api/grading?format=csv', csv.ms, 'ms', 'one request, after the above'));
    metrics.push(h.metric('GET /api/grading after 1,000 more events', after.ms, 'ms', `the first request after 1,000 PATCH /api/class (each stores a class.updated) made one after another`, '< 1000'));
    metrics.push(h.metric('lab.sqlite + -wal, server running', mib(bytes), 'MiB', 'after the requests above, with the server holding the database open'));
  }
  await ctx.stop(server);
  return { metrics, details };
}

module.exports = { description, run };
