import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort, freePortBase } from '../support/free-ports';
import { uniqueName, waitFor } from '../support/lab';
import { ROOT, ServerHandle, kafkaPidsUnder, killKafkaUnder, startLabServer } from '../support/lab-server';

/**
 * Chaos on a SECOND lab server (1 controller + 2 brokers of its own): a seeded random sequence of
 * lifecycle calls (stop/kill/pause/resume/start of any node including the controller, add broker,
 * with and without ?wait=false, some in concurrent pairs). Every answer is 2xx/404/409 with a sentence
 * (no 5xx, but a 503 saying a node missed its deadline); after each call settles, every state the API
 * reports matches the node's process (pid file + /proc), and while calls run a node shown `starting`
 * has a live process. A port held by another program shows as the node's `reason`. It ends with a reset.
 * Re-run a failure with CHAOS_SEED=<the seed in its message>.
 */
const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
/** Random calls (pairs count twice), besides the held-port cases and the final reset. */
const CALLS = 60;
const NODE_TIMEOUT_MS = 60_000;
const ACTIONS = ['stop', 'kill', 'pause', 'resume', 'start'] as const;
type Action = (typeof ACTIONS)[number];

/** mulberry32: small, seedable, good enough to pick calls. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Answer {
  call: string;
  status: number;
  body: any;
}

describe(`chaos: random lifecycle calls tell the truth (CHAOS_SEED=${SEED})`, () => {
  const token = 'chaos-token';
  const runDir = path.join(ROOT, '.test-data', uniqueName('chaos'));
  const dataDir = path.join(runDir, 'lab');
  const rnd = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const history: string[] = [];
  const fail = (msg: string) => new Error(`[CHAOS_SEED=${SEED}] ${msg}\nlast calls:\n  ${history.slice(-12).join('\n  ')}`);
  let server: ServerHandle | undefined;
  const statuses = new Map<number, number>();
  /** How often a look at the processes had to be repeated before the API and /proc agreed (logged). */
  const lookedAgain: string[] = [];
  /** A lie must end within this (a process that just died is reaped and reported within milliseconds). */
  const TRUTH_WITHIN_MS = 3_000;

  const call = async (method: 'GET' | 'POST', p: string): Promise<Answer> => {
    const res = await fetch(`${server!.url}${p}`, { method, headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: checked below
    }
    return { call: `${method} ${p}`, status: res.status, body };
  };
  const cluster = async () => {
    const a = await call('GET', '/api/cluster');
    if (a.status !== 200) throw fail(`GET /api/cluster answered ${a.status}: ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const nodesOf = (c: any): any[] => [...c.controllers, ...c.brokers];

  /**
   * 2xx, 404 or 409 with a sentence; no 5xx. The one 503 the issue leaves possible is a node that truly
   * missed its deadline (a JVM starved on a busy machine): allowed only with that sentence.
   */
  const judge = (a: Answer) => {
    statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const said = a.status >= 300 ? ` ${a.body?.message}` : '';
    history.push(`${a.call} -> ${a.status}${said}`);
    const deadline = a.status === 503 && /did not become ready within \d+ s/.test(String(a.body?.message));
    if (![200, 201, 202, 404, 409].includes(a.status) && !deadline) throw fail(`${a.call} answered ${a.status}: ${JSON.stringify(a.body)}`);
    if (a.status >= 400 && !(typeof a.body?.message === 'string' && a.body.message.length > 15 && a.body.statusCode === a.status)) {
      throw fail(`${a.call} answered ${a.status} without a sentence: ${JSON.stringify(a.body)}`);
    }
  };

  /**
   * Waits until no call is in progress and no node is starting (the node deadline bounds it); every
   * look meanwhile also checks that a node shown `starting` has a process.
   */
  const settled = async () => {
    let lie: Error | undefined;
    const c = await waitFor('the cluster to settle', async () => {
      let v: any;
      try {
        v = await startingTruth();
      } catch (e) {
        if (!(e as { lie?: boolean }).lie) throw e; // waitFor looks again
        lie = e as Error;
        return true;
      }
      const busy = v.state === 'starting' || v.state === 'stopping' || nodesOf(v).some((n) => n.pending || n.state === 'starting');
      return busy ? undefined : v;
    }, NODE_TIMEOUT_MS + 60_000, 200).catch((e) => {
      throw fail(e.message);
    });
    if (lie) throw lie;
    return c;
  };

  /** The process behind each node, from its pid file and /proc: null when there is none. */
  const procState = (id: number): string | null => {
    try {
      const pid = Number(fs.readFileSync(path.join(dataDir, 'cluster', 'nodes', String(id), 'pid'), 'utf8'));
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const st = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return st === 'Z' || st === 'X' ? null : st;
    } catch {
      return null;
    }
  };
  const lies = (c: any): string[] => nodesOf(c).flatMap((n) => {
    const st = procState(n.id);
    const ok = n.state === 'paused' ? st === 'T' || st === 't'
      : n.state === 'running' || n.state === 'starting' ? st !== null && st !== 'T' && st !== 't'
        : st === null;
    return ok ? [] : [`node ${n.id} shows ${n.state} but its process is ${st === null ? 'gone' : `in /proc state ${st}`}`];
  });
  /**
   * Looks until `wrong` finds nothing, within TRUTH_WITHIN_MS: a process that just died is a zombie
   * for a moment before the server reaps it and says so. Every extra look is counted and logged.
   */
  const agreed = async (look: () => Promise<any>, wrong: (c: any) => string[]) => {
    let until = 0; // counted from the first lie seen (a look may itself wait long for the cluster to settle)
    for (;;) {
      const c = await look();
      const w = wrong(c);
      if (w.length === 0) return c;
      until ||= Date.now() + TRUTH_WITHIN_MS;
      if (Date.now() > until) throw Object.assign(fail(`the API does not tell the truth: ${w.join('; ')}`), { lie: true });
      lookedAgain.push(`after ${history[history.length - 1] ?? 'the start'}: ${w.join('; ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** While calls run: a node shown `starting` has a live process (API.md). */
  const startingTruth = () => agreed(cluster, (c) => lies(c).filter((l) => / shows starting /.test(l)));
  /** After a call settled: every reported state matches the processes. */
  const expectTruth = () => agreed(settled, lies);

  const nodeCall = (id: number, action: Action, wait: boolean) =>
    call('POST', `/api/cluster/nodes/${id}/${action}${wait ? '' : '?wait=false'}`);
  /** Mostly calls the state allows, sometimes any: refusals must be sentences too. */
  const randomNodeCall = (c: any) => {
    const n = pick(nodesOf(c));
    const sensible: Record<string, Action[]> = {
      running: ['stop', 'kill', 'pause'], paused: ['resume', 'kill', 'stop'], stopped: ['start'], killed: ['start'], crashed: ['start'], starting: ['kill'],
    };
    const action = rnd() < 0.7 ? pick(sensible[n.state] ?? ACTIONS) : pick(ACTIONS);
    return nodeCall(n.id, action, rnd() < 0.7);
  };

  /** Holds 127.0.0.1:port like another program would; `release` also drops whoever connected (brokers do). */
  const hold = (port: number) => new Promise<{ release: () => Promise<void> }>((resolve, reject) => {
    const conns = new Set<net.Socket>();
    const s = net.createServer((c) => {
      conns.add(c);
      c.on('error', () => undefined);
      c.on('close', () => conns.delete(c));
    });
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve({
      release: () => new Promise<void>((r) => {
        s.close(() => r());
        for (const c of conns) c.destroy();
      }),
    }));
  });

  /** Brings a node to running, whatever state the dice left it in. */
  const ensureRunning = async (id: number) => {
    const n = nodesOf(await expectTruth()).find((x) => x.id === id);
    if (n.state === 'running') return;
    const a = await nodeCall(id, n.state === 'paused' ? 'resume' : 'start', true);
    judge(a);
    if (a.status !== 200) throw fail(`node ${id} did not come back: ${a.status} ${JSON.stringify(a.body)}`);
  };

  /** Stop the node, hold its port, start it: crashed with the port in `reason`; free the port: it starts. */
  const portHeldCase = async (id: number) => {
    // A broker needs its controller to start once the port is free again.
    if (id !== 100) await ensureRunning(100);
    let c = await expectTruth();
    const n = nodesOf(c).find((x) => x.id === id);
    if (n.state === 'paused') judge(await nodeCall(id, 'resume', true));
    if (['running', 'starting', 'paused'].includes(nodesOf(await expectTruth()).find((x) => x.id === id).state)) judge(await nodeCall(id, 'stop', true));
    await expectTruth();
    const holder = await hold(n.port);
    try {
      const a = await nodeCall(id, 'start', true);
      judge(a);
      if (a.status < 400) throw fail(`starting node ${id} while another program holds port ${n.port} answered ${a.status}`);
      expect(a.body.message).toContain(`port ${n.port} is in use by another program`);
      c = await expectTruth();
      const after = nodesOf(c).find((x) => x.id === id);
      if (after.state !== 'crashed' || !String(after.reason).includes(`port ${n.port}`)) {
        throw fail(`node ${id} with its port held shows ${after.state}, reason ${after.reason}`);
      }
    } finally {
      await holder.release();
    }
    // The port is free again: the same node starts (the random calls begin from a whole cluster).
    const again = await nodeCall(id, 'start', true);
    judge(again);
    if (again.status !== 200) throw fail(`node ${id} did not start once its port was free: ${again.status} ${JSON.stringify(again.body)}`);
    await expectTruth();
  };

  beforeAll(async () => {
    const [port, base] = await Promise.all([freePort(), freePortBase()]);
    process.stdout.write(`% chaos: CHAOS_SEED=${SEED}\n`);
    server = await startLabServer({
      PORT: String(port), LAB_DATA_DIR: dataDir, LAB_KAFKA_PORT_BASE: String(base), LAB_INSTRUCTOR_TOKEN: token,
      LAB_BROKERS: '2', LAB_CONTROLLERS: '1', LAB_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS), LAB_KAFKA_HEAP: '256m',
    }, { logFile: path.join(runDir, 'server.log'), timeoutMs: 150_000 });
  });

  afterAll(async () => {
    await server?.stop();
    // Killed first (the machine stays clean whatever the outcome), then it fails if any was left.
    const left = killKafkaUnder(dataDir);
    expect(left).toEqual([]);
    expect(kafkaPidsUnder(dataDir)).toEqual([]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('survives random calls, a held port, and ends running after a reset', async () => {
    const t0 = Date.now();
    await expectTruth();
    await portHeldCase(100); // the controller, as in the report that started this
    let random = 0;
    let brokerHeld = false;
    while (random < CALLS) {
      if (!brokerHeld && random >= CALLS / 2) {
        brokerHeld = true;
        await portHeldCase(pick([0, 1]));
      }
      const c = await cluster();
      const r = rnd();
      const t = Date.now();
      const ctl = c.controllers[0];
      if (ctl.state !== 'running' && rnd() < 0.35) {
        // Without a controller most calls are refusals: bring it back now and then.
        judge(await nodeCall(ctl.id, ctl.state === 'paused' ? 'resume' : 'start', rnd() < 0.7));
        random += 1;
      } else if (r < 0.1 && c.brokers.length < 4) {
        judge(await call('POST', `/api/cluster/brokers${rnd() < 0.5 ? '?wait=false' : ''}`));
        random += 1;
      } else if (r < 0.3) {
        // Two calls at once: on one node or two, whatever the dice say.
        const answers = await Promise.all([randomNodeCall(c), randomNodeCall(c)]);
        answers.forEach(judge);
        random += 2;
      } else {
        judge(await randomNodeCall(c));
        random += 1;
      }
      await expectTruth();
      history[history.length - 1] += ` (settled after ${Date.now() - t} ms)`;
    }
    const tReset = Date.now();
    const reset = await call('POST', '/api/cluster/reset');
    judge(reset);
    history[history.length - 1] += ` (took ${Date.now() - tReset} ms)`;
    if (reset.status !== 200 || reset.body.state !== 'running') throw fail(`reset answered ${reset.status} ${JSON.stringify(reset.body)}`);
    const end = await expectTruth();
    expect(end.state).toBe('running');
    const tally = [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ');
    process.stdout.write(`% chaos (CHAOS_SEED=${SEED}): ${history.length} calls (${random} random) in ${Math.round((Date.now() - t0) / 1000)} s; ${tally}; looked again ${lookedAgain.length} time(s)\n${history.map((h) => `%   ${h}`).join('\n')}\n${lookedAgain.map((l) => `%   looked again ${l}`).join('\n')}\n`);
    expect(random).toBeGreaterThanOrEqual(60);
    expect(statuses.get(500)).toBeUndefined();
    expect([...statuses.keys()].filter((st) => st >= 500 && st !== 503)).toEqual([]);
  }, 15 * 60_000);
});
