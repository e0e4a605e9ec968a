import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { LabError, conflict, notFound } from '../common/lab-error';
import { LAB_CONFIG, LabConfig, PORT_LAYOUT } from '../config/lab-config';
import { BrokerProbe } from '../kafka/broker-probe';
import type { BrokerObserver, LiveBroker } from '../kafka/cluster-link';
import { LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import type { ClusterState, ClusterView, KafkaDistribution, NodeExit, NodeRole, NodeSpec, NodeState, NodeView } from './cluster.types';
import { checkKafkaPrerequisites, locateKafka } from './distribution/kafka-distribution';
import { CLUSTER_DRIVER, ClusterDriver } from './drivers/cluster-driver';
import {
  ClusterShape, brokerAddress, controllerAddress, renderLog4jProperties, renderServerProperties,
} from './server-properties';

interface NodeRecord {
  id: number;
  role: NodeRole;
  host: string;
  port: number;
  state: NodeState;
  since: string;
  reason?: string;
}

/** What survives a restart of the service: the cluster's identity and shape (its data is in the node folders). */
interface PersistedCluster {
  clusterId: string;
  /** The shape the cluster was created with; internal topics' replication follows it. */
  shape: ClusterShape;
  brokerIds: number[];
  controllers: number;
}

export interface StartOptions {
  brokers?: number;
  controllers?: number;
  actor: string;
  /** false: return at once and let the caller poll GET /api/cluster. */
  wait: boolean;
}

const GRACEFUL_STOP_MS = 30_000;

/**
 * Owns the cluster's shape and the truth about each node's state. Lifecycle operations run one at a
 * time (a queue), each waiting on conditions (broker registered, process gone) with deadlines.
 */
@Injectable()
export class ClusterService implements OnApplicationBootstrap, OnApplicationShutdown, BrokerObserver {
  private readonly log = new Logger('Cluster');
  private readonly root: string;
  private readonly nodesRoot: string;
  private readonly stateFile: string;
  private persisted: PersistedCluster | null = null;
  private readonly nodes = new Map<number, NodeRecord>();
  private dist: KafkaDistribution | null = null;
  private busy: 'starting' | 'stopping' | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly probe = new BrokerProbe();
  private readinessTimer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  /** Nodes being stopped or killed right now (still alive, about to go). */
  private readonly leaving = new Set<number>();

  constructor(
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    @Inject(CLUSTER_DRIVER) private readonly driver: ClusterDriver,
    private readonly timeline: TimelineService,
    private readonly bus: LiveBus,
  ) {
    this.root = path.join(config.dataDir, 'cluster');
    this.nodesRoot = path.join(this.root, 'nodes');
    this.stateFile = path.join(this.root, 'cluster.json');
    this.driver.onExit((e) => this.onNodeExit(e));
  }

  // ---- boot and shutdown -------------------------------------------------------------------------

  async onApplicationBootstrap(): Promise<void> {
    fs.mkdirSync(this.nodesRoot, { recursive: true });
    this.persisted = this.readPersisted();
    if (this.driver.observer) {
      // An observed cluster (external): its nodes come from the metadata snapshots (observeBrokers).
      this.showObserved();
      return;
    }
    await this.driver.sweepOrphans();
    if (this.persisted) this.loadNodes(this.persisted);
    // Fail at boot, with a sentence, when Java/Maven/KAFKA_HOME are missing. A first fetch of Kafka
    // happens in the start below, while the API already answers (the cluster shows "starting").
    await checkKafkaPrerequisites(this.config);
    if (this.config.autostart) {
      const shape = this.persisted ? undefined : { brokers: this.config.brokers, controllers: this.config.controllers };
      if (this.persisted && (this.persisted.brokerIds.length !== this.config.brokers || this.persisted.controllers !== this.config.controllers)) {
        this.log.warn(`The data dir holds a cluster of ${this.persisted.brokerIds.length} broker(s) and ${this.persisted.controllers} controller(s); starting it as it is (POST /api/cluster/reset changes the shape).`);
      }
      this.start({ ...shape, actor: 'system', wait: false }).catch((e) => this.log.error(`The cluster did not start: ${e.message}`));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.readinessTimer) clearInterval(this.readinessTimer);
    if (this.driver.controlsLifecycle) {
      this.log.log('Stopping every Kafka node this service started...');
      await this.driver.shutdownAll(GRACEFUL_STOP_MS);
    }
  }

  // ---- reading -----------------------------------------------------------------------------------

  view(): ClusterView {
    const all = [...this.nodes.values()].sort((a, b) => a.id - b.id);
    const toView = (n: NodeRecord): NodeView => ({ id: n.id, role: n.role, state: n.state, host: n.host, port: n.port, since: n.since, ...(n.reason ? { reason: n.reason } : {}) });
    return {
      state: this.clusterState(),
      driver: this.driver.name,
      kafkaVersion: this.dist?.version ?? this.config.kafkaVersion,
      clusterId: this.persisted?.clusterId ?? null,
      controllers: all.filter((n) => n.role === 'controller').map(toView),
      brokers: all.filter((n) => n.role === 'broker').map(toView),
      bootstrapServers: this.bootstrapServers().join(','),
    };
  }

  /**
   * Every broker, running ones first: clients ask the first that answers, and a broker that is being
   * stopped, paused or is still starting may answer with a stale view of the cluster.
   */
  bootstrapServers(): string[] {
    if (this.driver.observer) return this.driver.observer.bootstrapServers();
    const rank = (n: NodeRecord) => (n.state === 'running' && !this.leaving.has(n.id) ? 0 : 1);
    return [...this.nodes.values()]
      .filter((n) => n.role === 'broker')
      .sort((a, b) => rank(a) - rank(b) || a.id - b.id)
      .map((n) => `${n.host}:${n.port}`);
  }

  /** Ids of brokers whose process runs and that finished registering. */
  runningBrokerIds(): number[] {
    return [...this.nodes.values()].filter((n) => n.role === 'broker' && n.state === 'running').map((n) => n.id);
  }

  brokerCount(): number {
    return [...this.nodes.values()].filter((n) => n.role === 'broker').length;
  }

  private clusterState(): ClusterState {
    if (this.busy) return this.busy;
    const all = [...this.nodes.values()];
    if (all.length === 0 || all.every((n) => n.state === 'stopped' || n.state === 'killed' || n.state === 'crashed')) {
      return 'stopped';
    }
    return all.every((n) => n.state === 'running') ? 'running' : 'degraded';
  }

  // ---- whole-cluster lifecycle -------------------------------------------------------------------

  start(opts: StartOptions): Promise<ClusterView> {
    this.requireLifecycle();
    const running = this.clusterState();
    if (this.persisted && (opts.brokers !== undefined || opts.controllers !== undefined)) {
      const differs = (opts.brokers !== undefined && opts.brokers !== this.persisted.brokerIds.length)
        || (opts.controllers !== undefined && opts.controllers !== this.persisted.controllers);
      if (differs) {
        throw conflict(`The cluster has ${this.persisted.brokerIds.length} broker(s) and ${this.persisted.controllers} controller(s); use POST /api/cluster/reset to start it with another shape.`);
      }
    }
    if (running === 'running') return Promise.resolve(this.view());
    return this.run(opts.wait, 'starting', async () => {
      if (!this.persisted) {
        const shape = { brokers: opts.brokers ?? this.config.brokers, controllers: opts.controllers ?? this.config.controllers };
        this.persisted = this.createPersisted(shape);
      }
      this.loadNodes(this.persisted);
      await this.bringUp([...this.nodes.values()].filter((n) => !this.driver.isAlive(n.id)).map((n) => n.id));
      this.timeline.publish({ type: 'cluster.started', actor: opts.actor, brokers: this.persisted.brokerIds.length, controllers: this.persisted.controllers });
    });
  }

  stop(actor: string, wait: boolean): Promise<ClusterView> {
    this.requireLifecycle();
    if (this.clusterState() === 'stopped') return Promise.resolve(this.view());
    return this.run(wait, 'stopping', async () => {
      await this.stopAll(false);
      this.timeline.publish({ type: 'cluster.stopped', actor });
    });
  }

  reset(opts: StartOptions): Promise<ClusterView> {
    this.requireLifecycle();
    return this.run(opts.wait, 'starting', async () => {
      await this.stopAll(true);
      const shape = {
        brokers: opts.brokers ?? this.persisted?.brokerIds.length ?? this.config.brokers,
        controllers: opts.controllers ?? this.persisted?.controllers ?? this.config.controllers,
      };
      fs.rmSync(this.nodesRoot, { recursive: true, force: true });
      fs.mkdirSync(this.nodesRoot, { recursive: true });
      this.nodes.clear();
      this.persisted = this.createPersisted(shape);
      this.loadNodes(this.persisted);
      this.timeline.publish({ type: 'cluster.reset', actor: opts.actor, brokers: shape.brokers, controllers: shape.controllers, clusterId: this.persisted.clusterId });
      await this.bringUp([...this.nodes.keys()]);
      this.timeline.publish({ type: 'cluster.started', actor: opts.actor, brokers: shape.brokers, controllers: shape.controllers });
    });
  }

  addBroker(actor: string, wait: boolean): Promise<{ node: NodeView; cluster: ClusterView }> {
    this.requireLifecycle();
    if (!this.persisted || this.clusterState() === 'stopped') throw conflict('The cluster is stopped: start it before adding a broker.');
    const id = Math.max(-1, ...this.persisted.brokerIds) + 1;
    if (id >= PORT_LAYOUT.maxBrokers) throw new LabError('BAD_INPUT', `A cluster here has at most ${PORT_LAYOUT.maxBrokers} brokers.`);
    const p = this.persisted;
    p.brokerIds.push(id);
    this.writePersisted();
    this.loadNodes(p);
    const result = this.run(wait, null, async () => {
      await this.bringUp([id], actor);
    });
    return result.then((cluster) => ({ node: cluster.brokers.find((b) => b.id === id)!, cluster }));
  }

  // ---- one node ----------------------------------------------------------------------------------

  node(id: number): NodeView {
    const n = this.nodes.get(id);
    if (!n) throw notFound(`There is no node ${id} in this cluster (${this.describeIds()}).`);
    return { id: n.id, role: n.role, state: n.state, host: n.host, port: n.port, since: n.since, ...(n.reason ? { reason: n.reason } : {}) };
  }

  /**
   * The live brokers of each metadata snapshot (null: no broker answered). A driver that observes a
   * cluster instead of running it (external) makes the nodes and node events of them; others ignore it.
   */
  observeBrokers(live: LiveBroker[] | null): void {
    if (!this.driver.observer) return;
    const { changed, events } = this.driver.observer.observe(live);
    if (changed) this.showObserved();
    for (const e of events) this.timeline.publish(e);
  }

  private showObserved(): void {
    this.nodes.clear();
    for (const n of this.driver.observer!.nodes()) this.nodes.set(n.id, n);
    this.pushView();
  }

  startNode(id: number, actor: string, wait: boolean): Promise<ClusterView> {
    this.requireLifecycle();
    const n = this.requireNode(id);
    if (this.driver.isAlive(id)) throw conflict(`${label(n)} is already ${n.state === 'paused' ? 'running (paused: resume it)' : n.state}.`);
    // Said at once, so a caller that does not wait sees its request taken.
    this.setState(n, 'starting');
    return this.run(wait, null, () => this.bringUp([id], actor));
  }

  stopNode(id: number, actor: string): Promise<ClusterView> {
    this.requireLifecycle();
    const n = this.requireNode(id);
    this.requireAlive(n, 'stop');
    return this.run(true, null, async () => {
      this.leaving.add(id);
      try {
        await this.driver.stop(id, GRACEFUL_STOP_MS);
      } finally {
        this.leaving.delete(id);
      }
      this.setState(n, 'stopped');
      this.timeline.publish({ type: 'node.stopped', actor, nodeId: id, role: n.role });
    });
  }

  killNode(id: number, actor: string): Promise<ClusterView> {
    this.requireLifecycle();
    const n = this.requireNode(id);
    this.requireAlive(n, 'kill');
    return this.run(true, null, async () => {
      await this.driver.kill(id);
      this.setState(n, 'killed');
      this.timeline.publish({ type: 'node.killed', actor, nodeId: id, role: n.role });
    });
  }

  pauseNode(id: number, actor: string): Promise<ClusterView> {
    this.requireLifecycle();
    const n = this.requireNode(id);
    this.requireAlive(n, 'pause');
    if (n.state === 'paused') throw conflict(`${label(n)} is already paused.`);
    return this.run(true, null, async () => {
      await this.driver.pause(id);
      this.setState(n, 'paused');
      this.timeline.publish({ type: 'node.paused', actor, nodeId: id, role: n.role });
    });
  }

  resumeNode(id: number, actor: string): Promise<ClusterView> {
    this.requireLifecycle();
    const n = this.requireNode(id);
    if (n.state !== 'paused') throw conflict(`${label(n)} is not paused (it is ${n.state}).`);
    return this.run(true, null, async () => {
      await this.driver.resume(id);
      // Back to starting until it answers again: a long pause may have fenced it.
      this.setState(n, 'starting');
      this.timeline.publish({ type: 'node.resumed', actor, nodeId: id, role: n.role });
      this.ensureReadinessLoop();
      await this.waitReady([id], 'resumed');
    });
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Runs lifecycle work one operation at a time; `wait=false` answers at once with the state so far. */
  private run(wait: boolean, busy: 'starting' | 'stopping' | null, work: () => Promise<void>): Promise<ClusterView> {
    if (busy) this.busy = busy;
    const task = this.queue.then(async () => {
      if (busy) this.busy = busy;
      this.pushView();
      try {
        await work();
      } finally {
        if (busy) this.busy = null;
        this.pushView();
      }
    });
    this.queue = task.catch(() => undefined);
    if (!wait) {
      task.catch((e) => this.log.error(`A cluster operation failed: ${e.message}`));
      return Promise.resolve(this.view());
    }
    return task.then(() => this.view());
  }

  /** Writes config, formats once, launches the given nodes (controllers first) and waits until they serve. */
  private async bringUp(ids: number[], actor = 'system'): Promise<void> {
    const dist = await this.distribution();
    const p = this.persisted!;
    const targets = ids.map((id) => this.nodes.get(id)!).filter(Boolean);
    const specs = targets.map((n) => this.writeNodeFiles(n, p));
    await Promise.all(specs.map((s) => this.driver.format(dist, s, p.clusterId)));
    const ctl = specs.filter((s) => s.role === 'controller');
    const brk = specs.filter((s) => s.role === 'broker');
    for (const group of [ctl, brk]) {
      for (const s of group) {
        const n = this.nodes.get(s.id)!;
        this.setState(n, 'starting');
        await this.driver.start(dist, s);
      }
    }
    this.ensureReadinessLoop();
    await this.waitReady(ids, 'started');
    for (const id of ids) {
      const n = this.nodes.get(id)!;
      this.timeline.publish({ type: 'node.started', actor, nodeId: id, role: n.role });
    }
  }

  /** Resolves when every node in `ids` is running; throws a sentence naming the laggards at the deadline. */
  private async waitReady(ids: number[], verb: string): Promise<void> {
    const deadline = Date.now() + this.config.nodeTimeoutMs;
    for (;;) {
      const pending = ids.map((id) => this.nodes.get(id)!).filter((n) => n.state !== 'running');
      const dead = pending.filter((n) => n.state === 'crashed');
      if (dead.length) {
        throw new LabError('KAFKA_UNAVAILABLE', `${dead.map(label).join(', ')} exited while starting; see ${dead.map((n) => path.join(this.nodeDir(n.id), 'server.log')).join(', ')}.`);
      }
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        throw new LabError('TIMEOUT', `${pending.map(label).join(', ')} ${verb} but did not become ready within ${Math.round(this.config.nodeTimeoutMs / 1000)} s; see ${pending.map((n) => path.join(this.nodeDir(n.id), 'server.log')).join(', ')}.`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** While any node is starting, probes controllers (port open) and brokers (registered) every 250 ms. */
  private ensureReadinessLoop(): void {
    if (this.readinessTimer || this.shuttingDown) return;
    let inFlight = false;
    this.readinessTimer = setInterval(async () => {
      if (inFlight) return;
      const starting = [...this.nodes.values()].filter((n) => n.state === 'starting');
      if (starting.length === 0) {
        clearInterval(this.readinessTimer!);
        this.readinessTimer = null;
        return;
      }
      inFlight = true;
      try {
        for (const c of starting.filter((n) => n.role === 'controller')) {
          if (await portOpen(c.host, c.port)) this.setState(c, 'running');
        }
        const brokers = starting.filter((n) => n.role === 'broker');
        await Promise.all(brokers.map(async (b) => {
          if ((await this.probe.serves(`${b.host}:${b.port}`, b.id)) && b.state === 'starting' && this.driver.isAlive(b.id)) {
            this.setState(b, 'running');
          }
        }));
      } finally {
        inFlight = false;
      }
    }, 250);
  }

  private async stopAll(abrupt: boolean): Promise<void> {
    const alive = [...this.nodes.values()].filter((n) => this.driver.isAlive(n.id));
    const brokers = alive.filter((n) => n.role === 'broker');
    const controllers = alive.filter((n) => n.role === 'controller');
    const one = async (n: NodeRecord) => {
      if (abrupt) await this.driver.kill(n.id);
      else await this.driver.stop(n.id, GRACEFUL_STOP_MS);
      this.setState(n, 'stopped');
    };
    // Brokers first: their controlled shutdown needs a controller.
    await Promise.all(brokers.map(one));
    await Promise.all(controllers.map(one));
    for (const n of this.nodes.values()) if (n.state !== 'stopped') this.setState(n, 'stopped');
  }

  private onNodeExit(e: NodeExit): void {
    const n = this.nodes.get(e.id);
    if (!n || e.expected || this.shuttingDown) return;
    this.setState(n, 'crashed');
    this.timeline.publish({ type: 'node.crashed', actor: 'kafka', nodeId: n.id, role: n.role, exitCode: e.code, signal: e.signal });
  }

  private setState(n: NodeRecord, state: NodeState): void {
    if (n.state === state) return;
    n.state = state;
    n.since = new Date().toISOString();
    this.pushView();
  }

  private pushView(): void {
    this.bus.emit('cluster', this.view());
  }

  private async distribution(): Promise<KafkaDistribution> {
    if (!this.dist) {
      this.dist = await locateKafka(this.config);
      this.log.log(`Kafka ${this.dist.version} from ${this.dist.origin}`);
    }
    return this.dist;
  }

  private requireLifecycle(): void {
    if (!this.driver.controlsLifecycle) {
      throw conflict(`This lab server uses the ${this.driver.name} driver, which cannot start or stop Kafka nodes.`);
    }
  }

  private requireNode(id: number): NodeRecord {
    const n = this.nodes.get(id);
    if (!n) throw notFound(`There is no node ${id} in this cluster (${this.describeIds()}).`);
    return n;
  }

  private requireAlive(n: NodeRecord, verb: string): void {
    if (!this.driver.isAlive(n.id)) throw conflict(`Cannot ${verb} ${label(n)}: it is not running (it is ${n.state}).`);
  }

  private describeIds(): string {
    const b = [...this.nodes.values()].filter((n) => n.role === 'broker').map((n) => n.id);
    const c = [...this.nodes.values()].filter((n) => n.role === 'controller').map((n) => n.id);
    if (!b.length && !c.length) return 'it has no nodes yet';
    return `brokers ${b.join(', ') || 'none'}; controller${c.length > 1 ? 's' : ''} ${c.join(', ')}`;
  }

  private nodeDir(id: number): string {
    return path.join(this.nodesRoot, String(id));
  }

  /** Adds a record (stopped) for every node of the shape that has none yet. */
  private loadNodes(p: PersistedCluster): void {
    const now = new Date().toISOString();
    const add = (a: { id: number; role: NodeRole; host: string; port: number }) => {
      if (!this.nodes.has(a.id)) this.nodes.set(a.id, { ...a, state: 'stopped', since: now });
    };
    for (let j = 0; j < p.controllers; j++) add(controllerAddress(this.config.kafkaPortBase, j));
    for (const id of p.brokerIds) add(brokerAddress(this.config.kafkaPortBase, id));
  }

  private writeNodeFiles(n: NodeRecord, p: PersistedCluster): NodeSpec {
    const dir = this.nodeDir(n.id);
    const spec: NodeSpec = {
      id: n.id, role: n.role, host: n.host, port: n.port, dir,
      propertiesPath: path.join(dir, 'server.properties'),
      log4jPath: path.join(dir, 'log4j.properties'),
      dataDir: path.join(dir, 'data'),
      logFile: path.join(dir, 'server.log'),
    };
    fs.mkdirSync(spec.dataDir, { recursive: true });
    fs.writeFileSync(spec.propertiesPath, renderServerProperties({
      node: { id: n.id, role: n.role, host: n.host, port: n.port }, shape: p.shape, portBase: this.config.kafkaPortBase, dataDir: spec.dataDir,
    }));
    fs.writeFileSync(spec.log4jPath, renderLog4jProperties(spec.logFile));
    return spec;
  }

  private createPersisted(shape: ClusterShape): PersistedCluster {
    const p: PersistedCluster = {
      clusterId: kafkaClusterId(),
      shape,
      brokerIds: Array.from({ length: shape.brokers }, (_, i) => i),
      controllers: shape.controllers,
    };
    this.persisted = p;
    this.writePersisted();
    return p;
  }

  private readPersisted(): PersistedCluster | null {
    try {
      return JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as PersistedCluster;
    } catch {
      return null;
    }
  }

  private writePersisted(): void {
    fs.writeFileSync(this.stateFile, JSON.stringify(this.persisted, null, 2));
  }
}

function label(n: { id: number; role: NodeRole }): string {
  return `${n.role} ${n.id}`;
}

/**
 * Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (22 chars). Like Kafka's
 * own Uuid.randomUuid(), never one that starts with '-': command-line parsers take it for an option
 * (kafka-storage failed "--cluster-id: expected one argument" for 1 cluster in 64).
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

