import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { KafkaDistribution, NodeExit, NodeSpec } from '../../src/cluster/cluster.types';
import { ContainerClient, ContainerCreateSpec, ImageMissingError } from '../../src/cluster/drivers/container-client';
import { ContainerEvent, ContainerEventStream, EventLineReader } from '../../src/cluster/drivers/container-events';
import { DockerDriver } from '../../src/cluster/drivers/docker.driver';
import { loadConfig } from '../../src/config/lab-config';

type State = 'created' | 'running' | 'paused' | 'exited';

/**
 * An engine in memory behind the driver's ContainerClient: containers with a state, an exit code and
 * waiters, and an event stream the test writes engine events into.
 */
class FakeEngine implements ContainerClient {
  readonly endpoint = 'socket /fake.sock';
  images = new Set(['localhost/kafka-lab-host-runtime:latest']);
  reachable = true;
  containers = new Map<string, { spec: ContainerCreateSpec; state: State; code: number | null; output: string; waiters: Array<(c: number | null) => void> }>();
  calls: string[] = [];
  streams: Array<{ label: string; since?: number; stream: PassThrough }> = [];
  /** What a one-shot container does when started: exit with this code and output. */
  oneShot = { code: 0, output: '' };
  private n = 0;

  async hasImage(image: string) {
    if (!this.reachable) throw new Error('connect ENOENT /fake.sock');
    return this.images.has(image);
  }
  async create(spec: ContainerCreateSpec) {
    if (!this.images.has(spec.Image!)) throw new ImageMissingError(`no such image: ${spec.Image}`);
    const id = `c${++this.n}`.padEnd(16, '0');
    this.containers.set(id, { spec, state: 'created', code: null, output: '', waiters: [] });
    this.calls.push(`create ${spec.name}`);
    return id;
  }
  async start(id: string) {
    const c = this.get(id);
    c.state = 'running';
    this.calls.push(`start ${c.spec.name}`);
    if (c.spec.Labels?.['kafka-lab.task'] === 'format') this.exit(id, this.oneShot.code, this.oneShot.output);
  }
  wait(id: string) {
    const c = this.containers.get(id);
    if (!c) return Promise.resolve(null);
    if (c.state === 'exited') return Promise.resolve(c.code);
    return new Promise<number | null>((r) => c.waiters.push(r));
  }
  async output(id: string) {
    return this.get(id).output;
  }
  async stop(id: string, grace: number) {
    const c = this.get(id);
    this.calls.push(`stop ${c.spec.name} ${grace}s${c.state === 'paused' ? ' (paused!)' : ''}`);
    if (c.state === 'running') this.exit(id, 143);
  }
  async kill(id: string, signal: string) {
    this.calls.push(`kill ${this.get(id).spec.name} ${signal}`);
    if (this.get(id).state !== 'exited') this.exit(id, 137);
  }
  async pause(id: string) {
    const c = this.get(id);
    if (c.state !== 'running') throw new Error('container state improper');
    c.state = 'paused';
  }
  async unpause(id: string) {
    const c = this.get(id);
    if (c.state === 'paused') c.state = 'running';
  }
  async isPaused(id: string) {
    return this.containers.get(id)?.state === 'paused';
  }
  async remove(idOrName: string) {
    const id = [...this.containers.keys()].find((k) => k === idOrName || this.containers.get(k)!.spec.name === idOrName);
    if (!id) return;
    this.calls.push(`remove ${this.containers.get(id)!.spec.name}`);
    if (this.containers.get(id)!.state !== 'exited') this.exit(id, 137);
    this.containers.delete(id);
  }
  async list(label: string) {
    const [k, v] = label.split('=');
    return [...this.containers].filter(([, c]) => c.spec.Labels?.[k] === v).map(([id]) => id);
  }
  async events(label: string, since?: number) {
    const stream = new PassThrough();
    this.streams.push({ label, since, stream });
    return stream;
  }

  /** The container ends (by itself unless the test says otherwise) and the engine says `die`. */
  exit(id: string, code: number, output = '') {
    const c = this.get(id);
    c.state = 'exited';
    c.code = code;
    c.output = output;
    for (const w of c.waiters.splice(0)) w(code);
    this.emit({ Type: 'container', Action: 'die', Actor: { ID: id, Attributes: { exitCode: String(code) } }, time: 1000 + this.n });
  }
  emit(ev: object) {
    this.streams[this.streams.length - 1]?.stream.write(JSON.stringify(ev) + '\n');
  }
  idOf(name: string) {
    return [...this.containers].find(([, c]) => c.spec.name === name)![0];
  }
  private get(id: string) {
    const c = this.containers.get(id);
    if (!c) throw Object.assign(new Error('no such container'), { statusCode: 404 });
    return c;
  }
}

const dist: KafkaDistribution = { version: '3.9.2', libsDir: '/cache/kafka/3.9.2/libs', javaBin: '/usr/bin/java', origin: 'test' };

function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-driver-unit-'));
  const node = (id: number, role: 'broker' | 'controller' = 'broker'): NodeSpec => {
    const dir = path.join(root, `${role}-${id}`);
    return { id, role, host: '127.0.0.1', port: 35000 + id, dir, propertiesPath: `${dir}/server.properties`, log4jPath: `${dir}/log4j.properties`, dataDir: `${dir}/data`, logFile: `${dir}/server.log` };
  };
  const config = { ...loadConfig({ LAB_DATA_DIR: root }), docker: { socketPath: '/fake.sock', host: undefined, image: 'localhost/kafka-lab-host-runtime:latest', network: 'host' as const } };
  const engine = new FakeEngine();
  const driver = new DockerDriver(config, 'abc123', engine);
  const exits: NodeExit[] = [];
  driver.onExit((e) => exits.push(e));
  return { root, node, engine, driver, exits, config };
}

/** Lets the stream deliver what the engine wrote. */
const tick = () => new Promise((r) => setImmediate(r));

describe('DockerDriver against a fake ContainerClient', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => (t = setup()));
  afterEach(async () => {
    await t.driver.shutdownAll(1000);
    fs.rmSync(t.root, { recursive: true, force: true });
  });

  it('starts a node in a container named after it (a stale one removed first), watching our label only', async () => {
    await t.engine.create({ name: 'kafka-lab-abc123-broker-1', Image: 'localhost/kafka-lab-host-runtime:latest' }); // the stopped node's
    t.engine.calls = [];
    await t.driver.start(dist, t.node(1));
    expect(t.engine.calls).toEqual(['remove kafka-lab-abc123-broker-1', 'create kafka-lab-abc123-broker-1', 'start kafka-lab-abc123-broker-1']);
    expect(t.driver.isAlive(1)).toBe(true);
    expect(t.engine.streams.map((s) => s.label)).toEqual(['kafka-lab.owner=abc123']);
    await expect(t.driver.start(dist, t.node(1))).rejects.toThrow(/node 1 is already running/);
  });

  it('a container that dies on its own is an unexpected exit, told once, with its signal', async () => {
    await t.driver.start(dist, t.node(2));
    const id = t.engine.idOf('kafka-lab-abc123-broker-2');
    t.engine.exit(id, 137);
    t.engine.emit({ Action: 'die', Actor: { ID: id, Attributes: { exitCode: '137' } } }); // told twice by the engine
    await tick();
    expect(t.exits).toEqual([{ id: 2, code: 137, signal: 'SIGKILL', expected: false }]);
    expect(t.driver.isAlive(2)).toBe(false);
  });

  it('stop thaws a paused node first, then stops it with the grace time in seconds: an expected exit', async () => {
    await t.driver.start(dist, t.node(3));
    await t.driver.pause(3);
    await t.driver.stop(3, 2500);
    await tick();
    expect(t.engine.calls.slice(2)).toEqual(['stop kafka-lab-abc123-broker-3 3s']);
    expect(t.exits).toEqual([{ id: 3, code: 143, signal: 'SIGTERM', expected: true }]);
    await expect(t.driver.pause(3)).rejects.toThrow(/Cannot pause node 3: its container is not running/);
  });

  it('kill is SIGKILL and an expected exit; pause and resume follow the engine\'s pause events', async () => {
    await t.driver.start(dist, t.node(4));
    const id = t.engine.idOf('kafka-lab-abc123-broker-4');
    await t.engine.pause(id);
    t.engine.emit({ Action: 'pause', Actor: { ID: id } }); // paused from outside
    await tick();
    await t.driver.resume(4);
    expect(await t.engine.isPaused(id)).toBe(false);
    await t.driver.kill(4);
    expect(t.engine.calls).toContain('kill kafka-lab-abc123-broker-4 SIGKILL');
    expect(t.exits).toEqual([{ id: 4, code: 137, signal: 'SIGKILL', expected: true }]);
  });

  it('says which image is missing, or that the engine cannot be reached', async () => {
    t.engine.images.clear();
    await expect(t.driver.start(dist, t.node(5))).rejects.toThrow(/not on this machine.*podman import/);
    const other = setup();
    other.engine.reachable = false;
    await expect(other.driver.start(dist, other.node(5))).rejects.toThrow('Cannot reach the Docker engine (socket /fake.sock): connect ENOENT /fake.sock');
    fs.rmSync(other.root, { recursive: true, force: true });
  });

  it('formats in a one-shot container that is removed afterwards, with the tool\'s words when it fails', async () => {
    t.engine.oneShot = { code: 1, output: 'Exception in thread "main" ConfigException: Missing required configuration\n\tat kafka.tools.StorageTool.main(StorageTool.scala)\n' };
    await expect(t.driver.format(dist, t.node(6), 'CLUSTERID')).rejects.toThrow(
      'Formatting the storage of broker 6 failed (exit code 1). The storage tool said:\nException in thread "main" ConfigException: Missing required configuration',
    );
    expect(t.engine.containers.size).toBe(0);
    t.engine.oneShot = { code: 0, output: '' };
    await t.driver.format(dist, t.node(6), 'CLUSTERID');
    expect(t.engine.calls.filter((c) => c.startsWith('create'))).toEqual(['create kafka-lab-abc123-broker-6-format', 'create kafka-lab-abc123-broker-6-format']);
    expect(t.engine.containers.size).toBe(0);
    expect(t.exits).toEqual([]); // a format is no node exit
  });

  it('sweeps what a previous run left under our label, and nothing else', async () => {
    await t.engine.create({ name: 'kafka-lab-abc123-broker-9', Image: 'localhost/kafka-lab-host-runtime:latest', Labels: { 'kafka-lab.owner': 'abc123' } });
    await t.engine.create({ name: 'someone-else', Image: 'localhost/kafka-lab-host-runtime:latest', Labels: { 'kafka-lab.owner': 'zzz' } });
    expect(await t.driver.sweepOrphans()).toBe(1);
    expect([...t.engine.containers.values()].map((c) => c.spec.name)).toEqual(['someone-else']);
  });

  it('shutdownAll stops brokers before controllers', async () => {
    await t.driver.start(dist, t.node(100, 'controller'));
    await t.driver.start(dist, t.node(1));
    await t.driver.shutdownAll(1000);
    expect(t.engine.calls.filter((c) => c.startsWith('stop'))).toEqual(['stop kafka-lab-abc123-broker-1 1s', 'stop kafka-lab-abc123-controller-100 1s']);
    expect(t.exits.map((e) => e.id)).toEqual([1, 100]);
  });
});

describe('ContainerEventStream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads newline-separated events and one object per chunk, and reopens after the engine left, from the last event', async () => {
    const engine = new FakeEngine();
    const seen: ContainerEvent[] = [];
    const want = { nodes: true };
    const s = new ContainerEventStream(engine, 'kafka-lab.owner=x', (e) => seen.push(e), () => want.nodes);
    await s.open();
    const first = engine.streams[0].stream;
    first.write('{"status":"die","id":"a","time":50}\n{"Action":"pause","Actor":{"ID":"b"},"time":51}\n');
    first.write('{"Action":"die","Actor":{"ID":"c","Attributes":{"exitCode":"1"}},"time":52}');
    first.write('not json\n');
    await jest.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([
      { containerId: 'a', action: 'die', exitCode: null },
      { containerId: 'b', action: 'pause', exitCode: null },
      { containerId: 'c', action: 'die', exitCode: 1 },
    ]);
    first.end();
    await jest.advanceTimersByTimeAsync(999);
    expect(engine.streams).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(engine.streams.map((x) => x.since)).toEqual([undefined, 52]);

    // Without nodes to watch (or once closed), it stays closed.
    want.nodes = false;
    engine.streams[1].stream.destroy();
    await jest.advanceTimersByTimeAsync(5000);
    expect(engine.streams).toHaveLength(2);
    s.close();
  });

  it('EventLineReader waits for the rest of an object cut across chunks', () => {
    const got: unknown[] = [];
    const r = new EventLineReader((o) => got.push(o));
    r.push('{"Action":"di');
    expect(got).toEqual([]);
    r.push('e","id":"x"}\n{"id":"y"');
    r.push(',"status":"die"}');
    expect(got).toEqual([{ Action: 'die', id: 'x' }, { id: 'y', status: 'die' }]);
  });
});
