import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaDistribution, NodeExit, NodeSpec } from '../../src/cluster/cluster.types';
import { HOST_RUNTIME_IMAGE_PREFIX, LABELS } from '../../src/cluster/drivers/container-spec';
import { DockerDriver } from '../../src/cluster/drivers/docker.driver';
import { brokerAddress, controllerAddress, renderLogConfig, renderServerProperties, type NodeAddress } from '../../src/cluster/server-properties';
import { loadConfig, type LabConfig } from '../../src/config/lab-config';
import { freePortBase } from '../support/free-ports';
import { podmanInstalled, startPodmanService, type PodmanService } from '../support/podman';

// The docker driver for real, against podman's Docker-compatible API (DOCKER-TESTING.md). It does not
// use the shared lab server: it runs its own 1 controller + 2 brokers from the Kafka jars on this machine.
let PORT_BASE = 0; // a free block, chosen in beforeAll
const IMAGE = `${HOST_RUNTIME_IMAGE_PREFIX}:latest`;
// The jars the shared lab server fetched (global setup) into the project's cache, or KAFKA_HOME's.
const LIBS = process.env.LAB_TEST_KAFKA_LIBS || (() => {
  const c = loadConfig({});
  return c.kafkaHome ? path.join(c.kafkaHome, 'libs') : path.join(c.kafkaCacheDir, `kafka-${c.kafkaVersion}`, 'libs');
})();
// Their release, from the kafka_2.13 jar's name: it decides the logging configuration and the format's features.
const KAFKA_VERSION = (() => {
  const jar = (fs.existsSync(LIBS) ? fs.readdirSync(LIBS) : []).map((f) => /^kafka_2\.13-(.+)\.jar$/.exec(f)).find((m) => m);
  return jar ? jar[1] : loadConfig({}).kafkaVersion;
})();
const runHere = podmanInstalled() || process.env.CI === 'true';
if (!runHere) {
  // eslint-disable-next-line no-console
  console.warn('docker-driver.e2e: SKIPPED — podman is not installed (run test/support/podman-service.sh as root to run it). Under CI=true it always runs.');
}
const describeIf = runHere ? describe : describe.skip;

jest.setTimeout(180_000);

/** Sends ApiVersions v0 and says whether the broker answered within `ms` (a paused JVM accepts TCP, never answers). */
function kafkaAnswers(port: number, ms = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const clientId = Buffer.from('probe');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0); // ApiVersions
    body.writeInt16BE(0, 2);
    body.writeInt32BE(7, 4); // correlation id
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);
    const sock = net.connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    const done = (v: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), ms);
    sock.on('connect', () => sock.write(Buffer.concat([size, body])));
    sock.on('data', (b) => {
      got = Buffer.concat([got, b]);
      if (got.length >= 8) done(got.readInt32BE(4) === 7);
    });
    sock.on('error', () => done(false));
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | false | null | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function nodeSpec(root: string, a: NodeAddress): NodeSpec {
  const dir = path.join(root, `${a.role}-${a.id}`);
  return {
    ...a,
    dir,
    propertiesPath: path.join(dir, 'server.properties'),
    log4jPath: path.join(dir, renderLogConfig(KAFKA_VERSION, '').fileName),
    dataDir: path.join(dir, 'data'),
    logFile: path.join(dir, 'server.log'),
  };
}

const ms = (t0: number) => `${Date.now() - t0} ms`;

describeIf('docker driver on podman (1 controller + 2 brokers, host runtime image)', () => {
  let podman: PodmanService;
  let docker: Docker;
  let driver: DockerDriver;
  let config: LabConfig;
  let root: string;
  let label: string;
  const exits: NodeExit[] = [];
  const timings: string[] = [];
  const dist: KafkaDistribution = { version: KAFKA_VERSION, libsDir: LIBS, javaBin: '/usr/bin/java', origin: 'test' };
  const shape = { brokers: 2, controllers: 1 };
  let controller: NodeSpec;
  let brokers: NodeSpec[];
  const kafka = () => new Kafka({ clientId: 'docker-driver-e2e', brokers: brokers.map((b) => `127.0.0.1:${b.port}`), logLevel: logLevel.NOTHING, retry: { retries: 3 } });

  const ourContainers = () => docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${label}`] } });

  beforeAll(async () => {
    expect(fs.existsSync(LIBS)).toBe(true);
    PORT_BASE = await freePortBase();
    let t0 = Date.now();
    podman = await startPodmanService();
    timings.push(`podman service ready: ${ms(t0)}`);
    docker = new Docker({ socketPath: podman.socketPath });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-docker-e2e-'));
    label = `e2e${process.pid}`;
    config = { ...loadConfig({ LAB_DATA_DIR: root, LAB_KAFKA_HEAP: '256m' }), docker: { socketPath: podman.socketPath, host: undefined, image: IMAGE, network: 'host' } };
    driver = new DockerDriver(config, label);
    driver.onExit((e) => exits.push(e));
    controller = nodeSpec(root, controllerAddress(PORT_BASE, 0));
    brokers = [0, 1].map((i) => nodeSpec(root, brokerAddress(PORT_BASE, i)));
    for (const n of [controller, ...brokers]) {
      fs.mkdirSync(n.dir, { recursive: true });
      fs.writeFileSync(n.propertiesPath, renderServerProperties({ node: n, shape, portBase: PORT_BASE, dataDir: n.dataDir, kafkaVersion: KAFKA_VERSION }));
      fs.writeFileSync(n.log4jPath, renderLogConfig(KAFKA_VERSION, n.logFile).text);
    }
    t0 = Date.now();
  });

  afterAll(async () => {
    try {
      await driver?.shutdownAll(10_000);
      // Belt and braces: whatever a failed test left behind under our label.
      if (docker) for (const c of await ourContainers()) await docker.getContainer(c.Id).remove({ force: true });
    } finally {
      await podman?.stop();
      if (root) fs.rmSync(root, { recursive: true, force: true });
      // eslint-disable-next-line no-console
      console.log(`docker-driver.e2e timings:\n  ${timings.join('\n  ')}`);
    }
  });

  it('sweeps containers a previous run left under the same owner label', async () => {
    const orphan = await docker.createContainer({
      name: `kafka-lab-${label}-broker-9`,
      Image: IMAGE,
      Entrypoint: ['/bin/sleep'],
      Cmd: ['600'],
      Labels: { [LABELS.owner]: label, [LABELS.nodeId]: '9', [LABELS.role]: 'broker' },
      HostConfig: { NetworkMode: 'host', Binds: ['/usr:/usr:ro', '/lib:/lib:ro', '/lib64:/lib64:ro', '/bin:/bin:ro'] },
    });
    await orphan.start();
    await orphan.pause(); // podman lists paused containers only with all: true
    expect(await driver.sweepOrphans()).toBe(1);
    expect(await ourContainers()).toEqual([]);
  });

  it('says which image is missing and how to get it', async () => {
    const other = new DockerDriver({ ...config, docker: { ...config.docker, image: 'apache/kafka:3.9.1' } }, `${label}x`);
    await expect(other.start(dist, brokers[0])).rejects.toThrow(/docker pull apache\/kafka:3\.9\.1/);
    await other.shutdownAll(1000);
  });

  it('fails a format with the storage tool\'s own words, and leaves no container', async () => {
    const bad = nodeSpec(root, { id: 7, role: 'broker', host: '127.0.0.1', port: PORT_BASE + 7 });
    fs.mkdirSync(bad.dir, { recursive: true });
    fs.writeFileSync(bad.propertiesPath, 'node.id=7\n'); // no process.roles, no log.dirs
    fs.writeFileSync(bad.log4jPath, renderLogConfig(KAFKA_VERSION, bad.logFile).text);
    await expect(driver.format(dist, bad, 'AAAAAAAAAAAAAAAAAAAAAA')).rejects.toThrow(/Formatting the storage of broker 7 failed \(exit code [1-9]\d*\)\. The storage tool said:\n.*ConfigException/);
    expect(await ourContainers()).toEqual([]);
  });

  it('formats every node in a one-shot container, then starts them; the brokers answer', async () => {
    const clusterId = execFileSync('/usr/bin/java', ['-cp', `${LIBS}/*`, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    let t0 = Date.now();
    await Promise.all([controller, ...brokers].map((n) => driver.format(dist, n, clusterId)));
    timings.push(`format 3 nodes (parallel one-shot containers): ${ms(t0)}`);
    for (const n of [controller, ...brokers]) expect(fs.readFileSync(path.join(n.dataDir, 'meta.properties'), 'utf8')).toContain(clusterId);
    // Formatting leaves no container behind.
    expect(await ourContainers()).toEqual([]);

    const t1 = Date.now();
    for (const n of [controller, ...brokers]) {
      t0 = Date.now();
      await driver.start(dist, n);
      timings.push(`create+start ${n.role} ${n.id}: ${ms(t0)}`);
      expect(driver.isAlive(n.id)).toBe(true);
    }
    const list = await ourContainers();
    expect(list.map((c) => c.Names[0].replace(/^\//, '')).sort()).toEqual(
      [`kafka-lab-${label}-broker-0`, `kafka-lab-${label}-broker-1`, `kafka-lab-${label}-controller-100`].sort(),
    );
    expect(list.find((c) => c.Labels[LABELS.nodeId] === '100')?.Labels[LABELS.role]).toBe('controller');

    await waitFor(
      'both brokers registered',
      async () => {
        // A fresh admin per attempt: kafkajs gives up on a connection refused while a broker still boots.
        const admin = kafka().admin();
        try {
          await admin.connect();
          return (await admin.describeCluster()).brokers.length === 2;
        } finally {
          await admin.disconnect();
        }
      },
      90_000,
      250,
    );
    timings.push(`cluster ready (both brokers in metadata) after start: ${ms(t1)}`);
    expect(exits).toEqual([]);
  });

  it('carries a message through a topic replicated on both brokers', async () => {
    const k = kafka();
    const topic = `docker-e2e-${process.pid}-${Date.now().toString(36)}`;
    const admin = k.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true })).toBe(true);
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(md.topics[0].partitions[0].replicas.sort()).toEqual([0, 1]);
    } finally {
      await admin.disconnect();
    }
    const producer = k.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'through containers' }] });
    await producer.disconnect();

    const consumer = k.consumer({ groupId: `${topic}-g`, sessionTimeout: 6000, maxWaitTimeInMs: 200 });
    const got: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
      await waitFor('the message to come back', async () => got.length > 0, 60_000);
    } finally {
      await consumer.disconnect();
    }
    expect(got).toEqual(['through containers']);
  });

  it('pauses a broker (alive but silent) and resumes it', async () => {
    const b = brokers[1];
    expect(await kafkaAnswers(b.port)).toBe(true);
    await driver.pause(b.id);
    expect(driver.isAlive(b.id)).toBe(true);
    expect((await docker.getContainer(`kafka-lab-${label}-broker-1`).inspect()).State.Status).toBe('paused');
    expect(await kafkaAnswers(b.port, 1500)).toBe(false);
    await driver.resume(b.id);
    await waitFor('the resumed broker to answer', () => kafkaAnswers(b.port), 15_000);
    expect(exits).toEqual([]);
  });

  it('kills a broker on request (an expected exit) and starts it again', async () => {
    const b = brokers[1];
    await driver.kill(b.id);
    expect(driver.isAlive(b.id)).toBe(false);
    expect(exits).toEqual([{ id: b.id, code: 137, signal: 'SIGKILL', expected: true }]);
    // The events stream saw the same death; it must not be reported twice.
    await waitFor('the die event to have been seen', async () => (await docker.getContainer(`kafka-lab-${label}-broker-1`).inspect()).State.Status === 'exited', 5000);
    expect(exits).toHaveLength(1);
    expect(await kafkaAnswers(b.port, 1000)).toBe(false);

    const t0 = Date.now();
    await driver.start(dist, b);
    timings.push(`restart (recreate) broker ${b.id}: ${ms(t0)}`);
    expect(driver.isAlive(b.id)).toBe(true);
    await waitFor('the restarted broker to answer', () => kafkaAnswers(b.port), 60_000, 250);
    timings.push(`restarted broker answering: ${ms(t0)}`);
  });

  it('reports a container killed from outside the driver as a crash', async () => {
    const b = brokers[0];
    exits.length = 0;
    execFileSync('podman', ['--url', `unix://${podman.socketPath}`, 'kill', `kafka-lab-${label}-broker-0`], { stdio: 'ignore' });
    const crash = await waitFor('onExit for the crashed broker', async () => exits.find((e) => e.id === b.id), 10_000, 50);
    expect(crash).toEqual({ id: b.id, code: 137, signal: 'SIGKILL', expected: false });
    expect(driver.isAlive(b.id)).toBe(false);
    expect(driver.isAlive(brokers[1].id)).toBe(true);
  });

  it('stops everything it runs and leaves no container behind', async () => {
    exits.length = 0;
    const t0 = Date.now();
    await driver.shutdownAll(10_000);
    timings.push(`shutdownAll (broker 1 + controller, graceful): ${ms(t0)}`);
    expect(exits.map((e) => [e.id, e.expected]).sort()).toEqual([[1, true], [100, true]]);
    // Both went down on SIGTERM (JVM exit 143), not by the SIGKILL after the timeout.
    expect(exits.map((e) => e.signal)).toEqual(['SIGTERM', 'SIGTERM']);
    for (const n of [controller, ...brokers]) expect(driver.isAlive(n.id)).toBe(false);
    expect(await ourContainers()).toEqual([]);
  });
});
