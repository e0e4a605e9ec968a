import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/lab-config';
import type { NodeState } from '../../src/cluster/cluster.types';
import type { ClusterDriver } from '../../src/cluster/drivers/cluster-driver';
import {
  MAX_BROKERS, NODE_ACTIONS, NODE_ACTION_NAMES, NodeActionName, addBrokerRefusal, busySentence, refusalOf,
} from '../../src/cluster/node-actions';
import { bindFailure, exitReason, lastFatalLine } from '../../src/cluster/node-diagnosis';
import { NodeStore } from '../../src/cluster/node-store';
import { Readiness, ReadinessProbes } from '../../src/cluster/readiness';

const STATES: NodeState[] = ['starting', 'running', 'stopped', 'killed', 'paused', 'crashed'];
/** What the process is in each state when the service tells the truth. */
const ALIVE_IN: Record<NodeState, boolean> = { starting: true, running: true, paused: true, stopped: false, killed: false, crashed: false };
const broker = (state: NodeState, alive = ALIVE_IN[state]) => ({ id: 3, role: 'broker' as const, state, alive });

describe('the node action table', () => {
  it('allows each action exactly in the states the API promises', () => {
    const allowed = (a: NodeActionName) => STATES.filter((s) => refusalOf(a, broker(s)) === null);
    expect(allowed('start')).toEqual(['stopped', 'killed', 'crashed']);
    expect(allowed('stop')).toEqual(['starting', 'running', 'paused']);
    expect(allowed('kill')).toEqual(['starting', 'running', 'paused']);
    expect(allowed('pause')).toEqual(['starting', 'running']);
    expect(allowed('resume')).toEqual(['paused']);
  });

  it('refuses with a sentence that names the node and its state (the 409s that were 500s)', () => {
    expect(refusalOf('pause', broker('crashed'))).toBe('Cannot pause broker 3: it is not running (it is crashed).');
    expect(refusalOf('stop', broker('killed'))).toBe('Cannot stop broker 3: it is not running (it is killed).');
    expect(refusalOf('kill', broker('stopped'))).toBe('Cannot kill broker 3: it is not running (it is stopped).');
    expect(refusalOf('resume', broker('crashed'))).toBe('broker 3 is not paused (it is crashed).');
    expect(refusalOf('resume', broker('running'))).toBe('broker 3 is not paused (it is running).');
    expect(refusalOf('pause', broker('paused'))).toBe('broker 3 is already paused.');
    expect(refusalOf('start', broker('running'))).toBe('broker 3 is already running.');
    expect(refusalOf('start', broker('paused'))).toBe('broker 3 is already running (paused: resume it).');
  });

  it('trusts the process over the state: a node whose process is gone cannot be paused, one still alive cannot be started', () => {
    // The exit has not been seen yet: the record still says running, the process is gone.
    expect(refusalOf('pause', broker('running', false))).toMatch(/not running \(it is running\)/);
    expect(refusalOf('resume', broker('paused', false))).toMatch(/not paused/);
    // Stopped on paper, still shutting down in fact.
    expect(refusalOf('start', broker('stopped', true))).toBe('broker 3 is still shutting down; start it again in a moment.');
  });

  it('says per action what the driver does, what the node shows after it and which event tells it', async () => {
    const calls: string[] = [];
    const driver = {
      stop: async (id: number, ms: number) => void calls.push(`stop ${id} ${ms}`),
      kill: async (id: number) => void calls.push(`kill ${id}`),
      pause: async (id: number) => void calls.push(`pause ${id}`),
      resume: async (id: number) => void calls.push(`resume ${id}`),
    } as unknown as ClusterDriver;
    const ctx = { driver, gracefulStopMs: () => 30_000, bringUp: async (id: number) => void calls.push(`bringUp ${id}`) };
    for (const a of NODE_ACTION_NAMES) await NODE_ACTIONS[a].drive(ctx, 7);
    expect(calls).toEqual(['bringUp 7', 'stop 7 30000', 'kill 7', 'pause 7', 'resume 7']);
    const summary = Object.fromEntries(NODE_ACTION_NAMES.map((a) => {
      const x = NODE_ACTIONS[a];
      return [a, [x.settle.kind === 'done' ? x.settle.after : 'ready', x.event, x.eventAt, x.leaving]];
    }));
    expect(summary).toEqual({
      start: ['ready', 'node.started', 'ready', false],
      stop: ['stopped', 'node.stopped', 'driven', true],
      kill: ['killed', 'node.killed', 'driven', true],
      pause: ['paused', 'node.paused', 'driven', false],
      resume: ['ready', 'node.resumed', 'driven', false],
    });
    // A start shows `starting` only once its process is launched (API.md), not when the call is taken.
    expect(NODE_ACTIONS.start.announce).toBeUndefined();
  });

  it('caps the cluster at 9 brokers and words a busy node', () => {
    expect(MAX_BROKERS).toBe(9);
    expect(addBrokerRefusal(8)).toBeNull();
    expect(addBrokerRefusal(9)).toBe('The cluster already has 9 brokers, the most a lab cluster may have (9).');
    expect(busySentence('Broker 1', 'stop')).toBe('Broker 1 is busy: a stop is in progress; try again when it is done (GET /api/cluster shows it).');
    expect(busySentence('The cluster', 'cluster reset')).toMatch(/^The cluster is busy: a cluster reset is in progress/);
  });
});

describe('why a node is not running', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-diag-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("takes Kafka's last specific ERROR/FATAL line written by this run of the node", () => {
    const log = path.join(dir, 'server.log');
    fs.writeFileSync(log, '[2026-01-01 00:00:00,000] ERROR an old run failed (kafka.Kafka$)\n');
    const offset = fs.statSync(log).size;
    expect(lastFatalLine(log, offset)).toBeNull();
    fs.appendFileSync(log, [
      '[2026-01-01 00:00:01,000] INFO starting (kafka.server.KafkaRaftServer)',
      '[2026-01-01 00:00:02,000] ERROR [ControllerServer id=100] Fatal error during controller startup. Prepare to shutdown (kafka.server.ControllerServer)',
      'org.apache.kafka.common.KafkaException: Socket server failed to bind to 127.0.0.1:9112: Address already in use.',
      '[2026-01-01 00:00:02,100] ERROR Exiting Kafka due to fatal exception during startup. (kafka.Kafka$)',
      '',
    ].join('\n'));
    expect(lastFatalLine(log, offset)).toBe('[ControllerServer id=100] Fatal error during controller startup. Prepare to shutdown');
    expect(lastFatalLine(path.join(dir, 'missing.log'))).toBeNull();
    // The cause is an exception line, not an ERROR line: it is read on its own, as a held port.
    expect(bindFailure(log, offset)).toBe(9112);
    expect(bindFailure(log, fs.statSync(log).size)).toBeNull();
  });

  it('words an exit nobody asked for', () => {
    expect(exitReason(1, null, 'Invalid cluster.id')).toBe('it exited with code 1; its log says: Invalid cluster.id');
    expect(exitReason(null, 'SIGKILL', null)).toBe('it ended by signal SIGKILL (not by the lab server)');
  });
});

describe('readiness and the node deadline (fake timers)', () => {
  let dir: string;
  let store: NodeStore;
  let ready: Set<number>;
  let overdue: number[];
  let blockers: Map<number, string>;
  let readiness: Readiness;
  const probes: ReadinessProbes = {
    controller: async (_h, port) => ready.has(port),
    broker: async (_h, _p, id) => ready.has(id),
  };

  beforeEach(() => {
    jest.useFakeTimers();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-ready-'));
    const config = loadConfig({ LAB_DATA_DIR: dir, LAB_KAFKA_PORT_BASE: '30000', LAB_NODE_TIMEOUT_MS: '10000' });
    store = new NodeStore(config, () => undefined);
    store.open();
    store.create({ brokers: 2, controllers: 1 });
    ready = new Set();
    overdue = [];
    blockers = new Map();
    readiness = new Readiness(store, {
      isAlive: () => true,
      blocker: (n) => blockers.get(n.id) ?? null,
      overdue: async (n, blocked) => {
        overdue.push(n.id);
        store.setState(n, 'crashed', blocked ?? 'it did not become ready within 10 s');
      },
    }, 10_000, probes);
  });

  afterEach(() => {
    readiness.close();
    jest.useRealTimers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('marks a node running once its probe answers, and the wait resolves', async () => {
    store.setState(0, 'starting');
    store.setState(100, 'starting');
    const wait = readiness.waitReady([0, 100]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.get(0)!.state).toBe('starting');
    ready.add(0).add(30020); // broker 0 registers; the controller's port (base + 20) opens
    await jest.advanceTimersByTimeAsync(500);
    await expect(wait).resolves.toBeUndefined();
    expect([store.get(0)!.state, store.get(100)!.state]).toEqual(['running', 'running']);
  });

  it('does not take a listener on a controller port for the controller when its process is gone', async () => {
    store.setState(100, 'starting');
    ready.add(30020); // another program listens on the controller's port
    const gone = new Readiness(store, { isAlive: () => false, blocker: () => null, overdue: async () => undefined }, 10_000, probes);
    gone.watch();
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.get(100)!.state).toBe('starting');
    gone.close();
  });

  it('ends a node that stays starting past the deadline, and the wait answers with its reason', async () => {
    store.setState(1, 'starting');
    const wait = readiness.waitReady([1]);
    const outcome = wait.then(() => 'resolved', (e) => e);
    await jest.advanceTimersByTimeAsync(9_000);
    expect(overdue).toEqual([]);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(overdue).toEqual([1]);
    const e = await outcome;
    expect(e.status).toBe(503);
    expect(e.message).toBe('broker 1 could not start: it did not become ready within 10 s.');
  });

  it('ends a starting node blocked for 10 s (its controller gone) with that reason, but not one blocked briefly', async () => {
    store.setState(0, 'starting');
    store.setState(1, 'starting');
    blockers.set(0, 'the controller is not running (controller 100 is paused)');
    blockers.set(1, 'the controller is not running (controller 100 is paused)');
    // A deadline far away: only the blocking ends node 0.
    const patient = new Readiness(store, {
      isAlive: () => true,
      blocker: (n) => blockers.get(n.id) ?? null,
      overdue: async (n, blocked) => {
        overdue.push(n.id);
        store.setState(n, 'crashed', blocked ?? 'it did not become ready within 60 s');
      },
    }, 60_000, probes);
    patient.watch();
    await jest.advanceTimersByTimeAsync(4_000);
    blockers.delete(1); // its controller came back in time
    await jest.advanceTimersByTimeAsync(5_000);
    expect(overdue).toEqual([]);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(overdue).toEqual([0]);
    expect(store.get(0)).toMatchObject({ state: 'crashed', reason: 'the controller is not running (controller 100 is paused)' });
    expect(store.get(1)!.state).toBe('starting');
    ready.add(1);
    await jest.advanceTimersByTimeAsync(500);
    expect(store.get(1)!.state).toBe('running');
    patient.close();
  });

  it('settles every node before answering: one running, one stopped meanwhile', async () => {
    store.setState(0, 'starting');
    store.setState(1, 'starting');
    const settled = readiness.settle([0, 1]);
    ready.add(0);
    store.setState(1, 'stopped');
    await jest.advanceTimersByTimeAsync(500);
    const e = await settled;
    expect(e?.status).toBe(409);
    expect(e?.message).toBe('broker 1 did not finish starting: it is stopped now.');
    expect(store.get(0)!.state).toBe('running');
  });

  it('gives up at once when a reset takes over', async () => {
    store.setState(0, 'starting');
    let current = true;
    const settled = readiness.settle([0], () => current);
    current = false;
    await jest.advanceTimersByTimeAsync(200);
    expect((await settled)?.message).toBe('broker 0 did not finish starting: a reset of the cluster took over.');
  });

  it('shows the cluster state from the nodes: degraded while any node is not running', () => {
    expect(store.clusterState(null)).toBe('stopped');
    for (const n of store.all()) store.setState(n, 'running');
    expect(store.clusterState(null)).toBe('running');
    store.setState(1, 'crashed', 'port 30001 is in use by another program');
    expect(store.clusterState(null)).toBe('degraded');
    expect(store.view(store.get(1)!)).toMatchObject({ state: 'crashed', reason: 'port 30001 is in use by another program' });
    store.setState(1, 'starting');
    expect(store.view(store.get(1)!).reason).toBeUndefined();
    expect(store.clusterState('stopping')).toBe('stopping');
  });
});
