import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterService } from '../../src/cluster/cluster.service';
import type { ClusterView, KafkaDistribution, NodeSpec } from '../../src/cluster/cluster.types';
import { ProcessDriver } from '../../src/cluster/drivers/process.driver';
import { NodeStore } from '../../src/cluster/node-store';
import type { ReadinessProbes } from '../../src/cluster/readiness';
import { LabError, driverFailed } from '../../src/common/lab-error';
import { loadConfig } from '../../src/config/lab-config';
import { freePortBase } from '../support/free-ports';
import { FakeDriver } from './fixtures/fake-cluster-driver';

// What a driver or a missing Kafka says reaches the caller with its own code; nodes show `starting`
// only with a process; a driver that throws or never answers is a coded 503, not a 500 or a hang.
let mockLocateError: Error | null = null;
jest.mock('../../src/cluster/distribution/kafka-distribution', () => ({
  checkKafkaPrerequisites: async () => undefined,
  locateKafka: async (): Promise<KafkaDistribution> => {
    if (mockLocateError) throw mockLocateError;
    return { version: '3.9.2', libsDir: '/nowhere', javaBin: '/bin/false', origin: 'the test' };
  },
}));

describe('cluster failures are coded and nodes tell the truth (fake driver, fake timers)', () => {
  let dir: string;
  let base: number;
  let driver: FakeDriver;
  let service: ClusterService;

  async function settle<T>(p: Promise<T>, maxMs = 60_000): Promise<{ value?: T; error?: any; ms: number }> {
    let out: { value?: T; error?: any } | undefined;
    p.then((value) => (out = { value }), (error) => (out = { error }));
    let t = 0;
    for (; !out && t < maxMs; t += 100) await jest.advanceTimersByTimeAsync(100);
    if (!out) throw new Error(`still pending after ${maxMs} ms of fake time`);
    return { ...out, ms: t };
  }
  const ok = async <T>(p: Promise<T>) => {
    const r = await settle(p);
    if (r.error) throw r.error;
    return r.value as T;
  };
  const node = (c: ClusterView, id: number) => [...c.controllers, ...c.brokers].find((n) => n.id === id)!;

  beforeAll(async () => {
    base = await freePortBase();
  });

  /** A service on a fresh data dir; running with a 1 + 2 cluster unless `run` is false. */
  async function newService(run = true) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-failures-'));
    const config = loadConfig({ LAB_DATA_DIR: dir, LAB_KAFKA_PORT_BASE: String(base), LAB_NODE_TIMEOUT_MS: '5000', LAB_BROKERS: '2', LAB_AUTOSTART: 'false' });
    driver = new FakeDriver();
    const probes: ReadinessProbes = {
      controller: async () => true,
      broker: async (_h, _p, id) => driver.alive.has(id) && !driver.hanging.has(id),
    };
    service = new ClusterService(config, driver, { publish: () => undefined } as any, { emit: () => undefined } as any, probes);
    await service.onApplicationBootstrap();
    if (run) expect((await ok(service.start({ actor: 'test', wait: true }))).state).toBe('running');
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    mockLocateError = null;
  });

  afterEach(async () => {
    await service.onApplicationShutdown();
    jest.restoreAllMocks();
    jest.useRealTimers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a driver failure and a missing Kafka with their own codes (not retriable), not a retriable 503', async () => {
    await newService();
    await ok(service.nodeAction('stop', 1, 'test', true));
    driver.startError = driverFailed('spawn /bin/false ENOENT');
    const e = (await settle(service.nodeAction('start', 1, 'test', true))).error;
    expect([e.status, e.code, e.retriable, e.message]).toEqual([503, 'DRIVER_FAILED', false, 'broker 1 could not start: it could not be launched: spawn /bin/false ENOENT.']);
    expect(node(service.view(), 1)).toMatchObject({ state: 'crashed', reason: 'it could not be launched: spawn /bin/false ENOENT' });
    // Not a LabError: the driver failed all the same.
    driver.startError = new Error('EMFILE: too many open files');
    expect((await settle(service.nodeAction('start', 1, 'test', true))).error.code).toBe('DRIVER_FAILED');
    driver.startError = null;
    // A driver's plain error in any action is DRIVER_FAILED too.
    jest.spyOn(driver, 'pause').mockRejectedValueOnce(new Error('no such container'));
    const p = (await settle(service.nodeAction('pause', 0, 'test', true))).error;
    expect([p.status, p.code, p.retriable, p.message]).toEqual([503, 'DRIVER_FAILED', false, 'Could not pause broker 0: no such container.']);
    await service.onApplicationShutdown();
    fs.rmSync(dir, { recursive: true, force: true });

    mockLocateError = new LabError('KAFKA_DISTRIBUTION', 'Kafka 3.9 needs Java 17 or newer: install Java 17 or set JAVA_HOME.');
    await newService(false);
    const k = (await settle(service.start({ actor: 'test', wait: true }))).error;
    expect([k.status, k.code, k.retriable]).toEqual([503, 'KAFKA_DISTRIBUTION', false]);
    expect(k.message).toContain('controller 100 could not start: Kafka is not available: Kafka 3.9 needs Java 17');
  });

  it('shows a node `starting` only once its process is launched, and a node whose files cannot be written ends crashed', async () => {
    await newService();
    await ok(service.nodeAction('stop', 1, 'test', true));
    let release!: () => void;
    driver.holdFormat = new Promise((r) => (release = r));
    const start = settle(service.nodeAction('start', 1, 'test', true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(node(service.view(), 1)).toMatchObject({ state: 'stopped', pending: 'start' });
    expect(driver.alive.has(1)).toBe(false);
    release();
    driver.holdFormat = null;
    expect((await start).error).toBeUndefined();
    expect(node(service.view(), 1).state).toBe('running');

    await ok(service.nodeAction('stop', 1, 'test', true));
    jest.spyOn(NodeStore.prototype, 'writeNodeFiles').mockImplementationOnce(() => {
      throw new Error('EACCES: permission denied');
    });
    const e = (await settle(service.nodeAction('start', 1, 'test', true))).error;
    expect([e.status, e.code]).toEqual([503, 'DRIVER_FAILED']);
    expect(node(service.view(), 1)).toMatchObject({ state: 'crashed', reason: 'its files could not be written: EACCES: permission denied' });
    expect(node(service.view(), 1).pending).toBeUndefined();

    // Not waited for: the 202 comes once the process is launched, and shows it starting.
    driver.hanging.add(1);
    const quick = await settle(service.nodeAction('start', 1, 'test', false));
    expect(node(quick.value!, 1)).toMatchObject({ state: 'starting', pending: 'start' });
    expect(driver.alive.has(1)).toBe(true);
  });

  it("reads a bind failure in Kafka's log as a held port (409), also when it is not an ERROR line", async () => {
    await newService();
    await ok(service.nodeAction('stop', 1, 'test', true));
    driver.hanging.add(1);
    driver.afterStart = (spec: NodeSpec) => {
      // Another program took the port after the check: Kafka says so in an exception line, then exits.
      fs.appendFileSync(spec.logFile, [
        '[2026-01-01 00:00:02,000] ERROR [KafkaRaftServer nodeId=1] Fatal error during broker startup. Prepare to shutdown (kafka.server.BrokerServer)',
        `org.apache.kafka.common.KafkaException: Socket server failed to bind to 127.0.0.1:${spec.port}: Address already in use.`,
        '',
      ].join('\n'));
      setTimeout(() => driver.crash(spec.id), 100);
    };
    const e = (await settle(service.nodeAction('start', 1, 'test', true))).error;
    expect([e.status, e.message]).toEqual([409, `broker 1 could not start: port ${base + 1} is in use by another program.`]);
    expect(node(service.view(), 1)).toMatchObject({ state: 'crashed', reason: `port ${base + 1} is in use by another program` });
  });

  it('stops brokers in 5 s when no controller runs, and a driver that throws or never answers is a coded 503, not a 500 or a hang', async () => {
    await newService();
    await ok(service.nodeAction('kill', 100, 'test', true));
    await ok(service.stop('test', true));
    expect(driver.stops).toEqual([[0, 5000], [1, 5000]]);
    await ok(service.start({ actor: 'test', wait: true }));

    driver.killError = new Error('connect ECONNREFUSED /var/run/docker.sock');
    const r = (await settle(service.reset({ actor: 'test', wait: true }))).error;
    expect([r.status, r.code, r.message]).toEqual([503, 'DRIVER_FAILED', 'Could not kill broker 0: connect ECONNREFUSED /var/run/docker.sock']);
    driver.killError = null;

    driver.neverGone = true;
    const stop = await settle(service.stop('test', true), 200_000);
    // Per role: the 30 s grace + 15 s for the stop, then 15 s for the kill; brokers, then the controller.
    expect(stop.ms).toBeLessThanOrEqual(2 * 60_000 + 1_000);
    expect([stop.error.status, stop.error.code, stop.error.message]).toEqual([503, 'DRIVER_FAILED', expect.stringMatching(/^Could not stop broker 0: No answer within 15000 ms/)]);
    driver.neverGone = false;
  });

  it('lets the process driver refuse a start once its shutdown began (no JVM outlives the server)', async () => {
    await newService(false);
    const proc = new ProcessDriver(loadConfig({ LAB_DATA_DIR: dir }), path.join(dir, 'nodes'));
    await proc.shutdownAll(1000);
    const spec = { id: 0, role: 'broker', dir, logFile: path.join(dir, 'server.log') } as unknown as NodeSpec;
    const e = await proc.start({ version: '3.9.2', libsDir: dir, javaBin: '/bin/false', origin: 'the test' }, spec).catch((x) => x);
    expect([e.code, e.message]).toEqual(['DRIVER_FAILED', 'Node 0 was not launched: the lab server is shutting down.']);
    expect(proc.isAlive(0)).toBe(false);
  });
});
