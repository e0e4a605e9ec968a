import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { classTlsFiles, ensureClassTls } from '../../src/class-tls/class-tls';
import { ClusterService } from '../../src/cluster/cluster.service';
import type { ClusterView, KafkaDistribution, NodeSpec } from '../../src/cluster/cluster.types';
import type { ReadinessProbes } from '../../src/cluster/readiness';
import { parseProperties } from '../../src/cluster/server-properties';
import { loadConfig } from '../../src/config/lab-config';
import { freePortBase } from '../support/free-ports';
import { FakeDriver } from './fixtures/fake-cluster-driver';

// No Kafka here: the service runs against a driver that only keeps a set of "live" nodes and probes
// that say a live node serves. Ports are checked for real (a held port must show as the reason).
jest.mock('../../src/cluster/distribution/kafka-distribution', () => ({
  checkKafkaPrerequisites: async () => undefined,
  locateKafka: async (): Promise<KafkaDistribution> => ({ version: '3.9.2', libsDir: '/nowhere', javaBin: '/bin/false', origin: 'the test' }),
}));

describe('cluster lifecycle rules (fake driver, fake timers)', () => {
  let dir: string;
  let base: number;
  let driver: FakeDriver;
  let events: Array<Record<string, unknown>>;
  let service: ClusterService;
  /** What each node was last launched with. */
  const specs = new Map<number, NodeSpec>();

  /** Lets fake time pass until `p` settles; returns its value or its error. */
  async function settle<T>(p: Promise<T>, maxMs = 60_000): Promise<{ value?: T; error?: any }> {
    let out: { value?: T; error?: any } | undefined;
    p.then((value) => (out = { value }), (error) => (out = { error }));
    for (let t = 0; !out && t < maxMs; t += 100) await jest.advanceTimersByTimeAsync(100);
    if (!out) throw new Error(`still pending after ${maxMs} ms of fake time`);
    return out;
  }
  const ok = async <T>(p: Promise<T>) => {
    const r = await settle(p);
    if (r.error) throw r.error;
    return r.value as T;
  };
  const refused = async (p: () => Promise<unknown>) => {
    try {
      const r = await settle(p());
      return r.error;
    } catch (e) {
      return e; // thrown before any work began
    }
  };
  const stateOf = (c: ClusterView, id: number) => [...c.controllers, ...c.brokers].find((n) => n.id === id)!;

  beforeAll(async () => {
    base = await freePortBase();
  });

  /** A service on a fresh data dir with a running 1 + 2 cluster of fake nodes. */
  async function runningService(nodeTimeoutMs: number, env: Record<string, string> = {}, prepare?: (dataDir: string) => Promise<unknown>) {
    if (service) await service.onApplicationShutdown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-lifecycle-'));
    await prepare?.(dir);
    const config = loadConfig({ LAB_DATA_DIR: dir, LAB_KAFKA_PORT_BASE: String(base), LAB_NODE_TIMEOUT_MS: String(nodeTimeoutMs), LAB_BROKERS: '2', LAB_AUTOSTART: 'false', ...env });
    driver = new FakeDriver();
    driver.afterStart = (spec) => specs.set(spec.id, spec);
    specs.clear();
    events = [];
    const probes: ReadinessProbes = {
      controller: async () => true,
      broker: async (_h, _p, id) => driver.alive.has(id) && !driver.hanging.has(id),
    };
    const timeline = { publish: (e: Record<string, unknown>) => events.push(e) };
    service = new ClusterService(config, driver, timeline as any, { emit: () => undefined } as any, probes);
    await service.onApplicationBootstrap();
    const c = await ok(service.start({ actor: 'test', wait: true }));
    expect(c.state).toBe('running');
  }

  beforeEach(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await runningService(5000);
  });

  afterEach(async () => {
    await service.onApplicationShutdown();
    jest.useRealTimers();
    fs.rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('answers pause and resume on a node that just died with a 409 that names its state', async () => {
    driver.crash(1);
    expect(stateOf(service.view(), 1)).toMatchObject({ state: 'crashed', reason: 'it exited with code 1' });
    const pause = await refused(() => service.nodeAction('pause', 1, 'test', true));
    expect([pause.status, pause.message]).toEqual([409, 'Cannot pause broker 1: it is not running (it is crashed).']);
    const resume = await refused(() => service.nodeAction('resume', 1, 'test', true));
    expect([resume.status, resume.message]).toEqual([409, 'broker 1 is not paused (it is crashed).']);
    expect(events.some((e) => e.type === 'node.crashed' && e.nodeId === 1 && e.reason === 'it exited with code 1')).toBe(true);
    const back = await ok(service.nodeAction('start', 1, 'test', true));
    expect(stateOf(back, 1).state).toBe('running');
    expect(stateOf(back, 1).reason).toBeUndefined();
  });

  it('refuses a second call on a busy node, and a cluster stop meanwhile, with "in progress"', async () => {
    let release!: () => void;
    driver.holdStop = new Promise((r) => (release = r));
    const stopping = service.nodeAction('stop', 0, 'test', true);
    expect(stateOf(service.view(), 0).pending).toBe('stop');
    expect(service.bootstrapServers()[0]).toBe(`127.0.0.1:${base + 1}`); // a leaving broker is asked last
    const kill = await refused(() => service.nodeAction('kill', 0, 'test', true));
    expect([kill.status, kill.message]).toEqual([409, 'Broker 0 is busy: a stop is in progress; try again when it is done (GET /api/cluster shows it).']);
    const stop = await refused(() => service.stop('test', true));
    expect(stop.message).toBe('Cannot do a cluster stop now: a stop of broker 0 is in progress; try again when it is done (GET /api/cluster shows it).');
    // Both may simply be sent again later: IN_PROGRESS, retriable (the body says so, with Retry-After).
    expect([kill.code, kill.retriable, stop.code, stop.retriable]).toEqual(['IN_PROGRESS', true, 'IN_PROGRESS', true]);
    // Another node is not busy.
    expect(stateOf(await ok(service.nodeAction('pause', 1, 'test', true)), 1).state).toBe('paused');
    release();
    const after = await ok(stopping);
    expect(stateOf(after, 0)).toMatchObject({ state: 'stopped' });
    expect(stateOf(after, 0).pending).toBeUndefined();
  });

  it('does not launch a broker without its controller, or a node whose port another program holds: crashed with the reason, a 409', async () => {
    await ok(service.nodeAction('kill', 100, 'test', true));
    await ok(service.nodeAction('stop', 1, 'test', true));
    const noController = await refused(() => service.nodeAction('start', 1, 'test', true));
    expect(noController.status).toBe(409);
    expect(noController.message).toBe('broker 1 could not start: the controller is not running (controller 100 is killed); a broker cannot join the cluster without it.');
    expect(stateOf(service.view(), 1)).toMatchObject({ state: 'crashed', reason: 'the controller is not running (controller 100 is killed); a broker cannot join the cluster without it' });
    expect(driver.alive.has(1)).toBe(false);
    const add = await refused(() => service.addBroker('test', true));
    expect([add.status, add.message]).toEqual([409, 'Cannot add a broker: the controller is not running (controller 100 is killed); a broker cannot join the cluster without it.']);

    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.0.0.1', port: base + 20 }, r));
    try {
      const held = await refused(() => service.nodeAction('start', 100, 'test', true));
      expect([held.status, held.message]).toEqual([409, `controller 100 could not start: port ${base + 20} is in use by another program.`]);
      expect(stateOf(service.view(), 100)).toMatchObject({ state: 'crashed', reason: `port ${base + 20} is in use by another program` });
    } finally {
      await new Promise((r) => holder.close(r));
    }
    expect(stateOf(await ok(service.nodeAction('start', 100, 'test', true)), 100).state).toBe('running');
  });

  it('with the class listener (TLS): the brokers\' files name the keystore, containers get its folder, and a broker whose class port is held is not launched', async () => {
    // The keys are made on libuv's pool in real time, which fake time runs past: made here first (the
    // start keeps them, the host being the same; class-tls.spec.ts covers making them).
    let keystore = '';
    await runningService(5000, { LAB_KAFKA_PUBLIC_HOST: '127.0.0.1', LAB_KAFKA_TLS: 'true' }, async (d) => {
      jest.useRealTimers();
      keystore = fs.readFileSync((await ensureClassTls(d, '127.0.0.1')).keystore, 'utf8');
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    });
    const tls = classTlsFiles(dir);
    expect(fs.readFileSync(tls.keystore, 'utf8')).toBe(keystore);
    const props = parseProperties(fs.readFileSync(specs.get(1)!.propertiesPath, 'utf8'));
    expect(props.get('listeners')).toBe(`PLAINTEXT://127.0.0.1:${base + 1},CLASS://127.0.0.1:${base + 31}`);
    expect(props.get('listener.name.class.ssl.keystore.location')).toBe(tls.keystore);
    expect(specs.get(1)!.classTlsKeystore).toBe(tls.keystore);
    expect(specs.get(100)!.classTlsKeystore).toBeUndefined();

    await ok(service.nodeAction('stop', 1, 'test', true));
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.0.0.1', port: base + 31 }, r));
    try {
      const held = await refused(() => service.nodeAction('start', 1, 'test', true));
      expect([held.status, held.message]).toEqual([409, `broker 1 could not start: port ${base + 31} is in use by another program.`]);
      expect(driver.alive.has(1)).toBe(false);
    } finally {
      await new Promise((r) => holder.close(r));
    }
    expect(stateOf(await ok(service.nodeAction('start', 1, 'test', true)), 1).state).toBe('running');
  });

  it('ends a node that stays starting at the deadline (crashed, 503), and a reset brings everything back from any state', async () => {
    await ok(service.nodeAction('stop', 1, 'test', true));
    driver.hanging.add(1);
    let answer: any;
    service.nodeAction('start', 1, 'test', true).then((v) => (answer = v), (e) => (answer = e));
    // The call is taken (pending) but the node is `starting` only once its process is launched.
    expect(stateOf(service.view(), 1)).toMatchObject({ state: 'stopped', pending: 'start' });
    await jest.advanceTimersByTimeAsync(4_000);
    expect(stateOf(service.view(), 1).state).toBe('starting');
    expect(driver.alive.has(1)).toBe(true);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(stateOf(service.view(), 1)).toMatchObject({ state: 'crashed', reason: 'it did not become ready within 5 s' });
    expect(driver.alive.has(1)).toBe(false);
    expect([answer.status, answer.message]).toEqual([503, 'broker 1 could not start: it did not become ready within 5 s.']);

    // Stuck again, and the other broker paused: a reset takes over from the start in progress.
    driver.hanging.delete(1);
    await ok(service.nodeAction('pause', 0, 'test', true));
    driver.hanging.add(1);
    const stuck = settle(service.nodeAction('start', 1, 'test', true));
    await jest.advanceTimersByTimeAsync(1_000);
    driver.hanging.delete(1);
    const reset = await ok(service.reset({ actor: 'test', wait: true }));
    expect(reset.state).toBe('running');
    expect([...reset.controllers, ...reset.brokers].map((n) => [n.id, n.state])).toEqual([[100, 'running'], [0, 'running'], [1, 'running']]);
    expect((await stuck).error.message).toMatch(/reset of the cluster took over/);
  });

  it('ends a broker whose controller goes away while it starts after 10 s, with that reason (409), long before the deadline', async () => {
    await runningService(120_000);
    await ok(service.nodeAction('stop', 1, 'test', true));
    driver.hanging.add(1);
    let answer: any;
    service.nodeAction('start', 1, 'test', true).then((v) => (answer = v), (e) => (answer = e));
    await jest.advanceTimersByTimeAsync(1_000);
    await ok(service.nodeAction('pause', 100, 'test', true));
    await jest.advanceTimersByTimeAsync(9_000);
    expect(stateOf(service.view(), 1).state).toBe('starting');
    await jest.advanceTimersByTimeAsync(2_000);
    expect([answer.status, answer.message]).toEqual([409, 'broker 1 could not start: the controller is not running (controller 100 is paused); a broker cannot join the cluster without it.']);
    expect(driver.alive.has(1)).toBe(false);
  });

  it('grows to at most 9 brokers', async () => {
    for (let i = 2; i < 9; i++) expect((await ok(service.addBroker('test', true))).node).toMatchObject({ id: i, state: 'running' });
    const tenth = await refused(() => service.addBroker('test', true));
    expect([tenth.status, tenth.message]).toEqual([409, 'The cluster already has 9 brokers, the most a lab cluster may have (9).']);
  });
});
