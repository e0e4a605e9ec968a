import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { settleWithin, withDeadline } from '../common/deadline';
import { LabError, conflict, driverFailed, inProgress } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import type { BrokerObserver, LiveBroker } from '../kafka/cluster-link';
import { LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import type { ClusterView, NodeView } from './cluster.types';
import { checkKafkaPrerequisites } from './distribution/kafka-distribution';
import { CLUSTER_DRIVER, ClusterDriver } from './drivers/cluster-driver';
import {
  NODE_ACTIONS, NodeActionContext, NodeActionName, addBrokerRefusal, busySentence, label, refusalOf,
} from './node-actions';
import { LifecycleCalls } from './lifecycle-calls';
import { NodeLauncher } from './node-launcher';
import { NodeRecord, NodeStore } from './node-store';
import { READINESS_PROBES, Readiness, ReadinessProbes } from './readiness';

export interface StartOptions {
  brokers?: number;
  controllers?: number;
  actor: string;
  /** false: return at once and let the caller poll GET /api/cluster. */
  wait: boolean;
}

const GRACEFUL_STOP_MS = 30_000;
const NO_CONTROLLER_STOP_MS = 5_000;
/** How long a kill may take to report the node gone before the call says the driver failed. */
const KILL_WAIT_MS = 15_000;

/**
 * The cluster's lifecycle. One call at a time per node, and a whole-cluster start/stop excludes every
 * other call: a call that meets one in progress is a 409 saying which (the node's `pending` shows it).
 * A reset is the exception: it takes over from whatever is in progress, so it always gets the cluster
 * back. Node states come from the processes (exits, probes, the node deadline), never from hope.
 */
@Injectable()
export class ClusterService implements OnApplicationBootstrap, OnApplicationShutdown, BrokerObserver {
  private readonly log = new Logger('Cluster');
  private readonly store: NodeStore;
  private readonly readiness: Readiness;
  private readonly launcher: NodeLauncher;
  private readonly actionContext: NodeActionContext;
  private readonly calls: LifecycleCalls;
  private shuttingDown = false;

  constructor(
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    @Inject(CLUSTER_DRIVER) private readonly driver: ClusterDriver,
    private readonly timeline: TimelineService,
    private readonly bus: LiveBus,
    @Optional() @Inject(READINESS_PROBES) probes?: ReadinessProbes,
  ) {
    this.store = new NodeStore(config, () => this.pushView());
    this.launcher = new NodeLauncher(config, driver, this.store, timeline);
    this.calls = new LifecycleCalls(this.store, () => this.view(), () => this.pushView());
    this.readiness = new Readiness(this.store, {
      isAlive: (id) => driver.isAlive(id),
      blocker: (n) => (n.role === 'broker' ? this.launcher.controllerBlocker() : null),
      overdue: (n, blocked) => this.launcher.endOverdue(n, blocked),
    }, config.nodeTimeoutMs, probes);
    this.actionContext = { driver, bringUp: (id) => this.bringUp([id], this.calls.epoch), gracefulStopMs: (id) => this.gracefulStopMs(id) };
    this.driver.onExit((e) => {
      if (!this.shuttingDown) this.launcher.onExit(e);
    });
  }

  // ---- boot and shutdown -------------------------------------------------------------------------

  async onApplicationBootstrap(): Promise<void> {
    if (this.driver.observer) {
      // An observed cluster (external): its nodes come from the metadata snapshots (observeBrokers).
      this.store.replace(this.driver.observer.nodes());
      return;
    }
    const persisted = this.store.open();
    await this.driver.sweepOrphans();
    if (persisted) this.store.load(persisted);
    // Fail at boot, with a sentence, when Java/Maven/KAFKA_HOME are missing. A first fetch of Kafka
    // happens in the start below, while the API already answers (the cluster shows "starting").
    await checkKafkaPrerequisites(this.config);
    if (this.config.autostart) {
      if (persisted && (persisted.brokerIds.length !== this.config.brokers || persisted.controllers !== this.config.controllers)) {
        this.log.warn(`The data dir holds a cluster of ${persisted.brokerIds.length} broker(s) and ${persisted.controllers} controller(s); starting it as it is (POST /api/cluster/reset changes the shape).`);
      }
      const shape = persisted ? {} : { brokers: this.config.brokers, controllers: this.config.controllers };
      this.start({ ...shape, actor: 'system', wait: false });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.calls.takeOver();
    this.readiness.close();
    if (this.driver.controlsLifecycle) {
      this.log.log('Stopping every Kafka node this service started...');
      await this.driver.shutdownAll(this.launcher.controllerBlocker() ? NO_CONTROLLER_STOP_MS : GRACEFUL_STOP_MS);
    }
  }

  // ---- reading -----------------------------------------------------------------------------------

  view(): ClusterView {
    return {
      state: this.store.clusterState(this.calls.busyState()),
      driver: this.driver.name,
      kafkaVersion: this.kafkaVersion(),
      clusterId: this.store.persisted?.clusterId ?? this.driver.observer?.clusterId() ?? null,
      controllers: this.store.ofRole('controller').map((n) => this.store.view(n)),
      brokers: this.store.ofRole('broker').map((n) => this.store.view(n)),
      bootstrapServers: this.bootstrapServers().join(','),
    };
  }

  /**
   * The Kafka release the nodes run: the located one (KAFKA_HOME's may differ from KAFKA_VERSION), else
   * KAFKA_VERSION (before the first start, and for an external cluster, whose release the lab cannot see).
   */
  kafkaVersion(): string {
    return this.launcher.version ?? this.config.kafkaVersion;
  }

  /** The 3.x release that formatted this cluster's data when a 4.x runs it (its new group protocols are off), else null. */
  formattedByOlderKafka(): string | null {
    return this.launcher.formattedByOlder;
  }

  /**
   * Every broker, running ones first: clients ask the first that answers, and a broker that is being
   * stopped, paused or is still starting may answer with a stale view of the cluster.
   */
  bootstrapServers(): string[] {
    if (this.driver.observer) return this.driver.observer.bootstrapServers();
    const rank = (n: NodeRecord) => (n.state === 'running' && !(n.pending && NODE_ACTIONS[n.pending].leaving) ? 0 : 1);
    return this.store.ofRole('broker').sort((a, b) => rank(a) - rank(b) || a.id - b.id).map((n) => `${n.host}:${n.port}`);
  }

  /** Ids of brokers whose process runs and that finished registering. */
  runningBrokerIds(): number[] {
    return this.store.ofRole('broker').filter((n) => n.state === 'running').map((n) => n.id);
  }

  node(id: number): NodeView {
    return this.store.view(this.store.require(id));
  }

  /**
   * The live brokers of each metadata snapshot (null: no broker answered). A driver that observes a
   * cluster instead of running it (external) makes the nodes and node events of them; others ignore it.
   */
  observeBrokers(live: LiveBroker[] | null, clusterId?: string | null): void {
    if (!this.driver.observer) return;
    const { changed, events } = this.driver.observer.observe(live, clusterId);
    if (changed) this.store.replace(this.driver.observer.nodes());
    for (const e of events) this.timeline.publish(e);
  }

  // ---- whole-cluster lifecycle -------------------------------------------------------------------

  start(opts: StartOptions): Promise<ClusterView> {
    this.requireLifecycle();
    const p = this.store.persisted;
    if (p && ((opts.brokers !== undefined && opts.brokers !== p.brokerIds.length) || (opts.controllers !== undefined && opts.controllers !== p.controllers))) {
      throw conflict(`The cluster has ${p.brokerIds.length} broker(s) and ${p.controllers} controller(s); use POST /api/cluster/reset to start it with another shape.`);
    }
    if (this.calls.clusterIdle() && this.store.clusterState(null) === 'running') return Promise.resolve(this.view());
    this.calls.requireIdle('cluster start');
    return this.calls.runCluster('start', opts.wait, async (epoch) => {
      const shape = { brokers: opts.brokers ?? this.config.brokers, controllers: opts.controllers ?? this.config.controllers };
      const cluster = this.store.persisted ?? this.store.create(shape);
      this.store.load(cluster);
      await this.startNodes(this.store.all().filter((n) => !this.driver.isAlive(n.id)).map((n) => n.id), 'system', epoch);
      this.timeline.publish({ type: 'cluster.started', actor: opts.actor, brokers: cluster.brokerIds.length, controllers: cluster.controllers });
    });
  }

  stop(actor: string, wait: boolean): Promise<ClusterView> {
    this.requireLifecycle();
    if (this.calls.clusterIdle() && this.store.clusterState(null) === 'stopped' && this.store.all().every((n) => !this.driver.isAlive(n.id))) {
      return Promise.resolve(this.view());
    }
    this.calls.requireIdle('cluster stop');
    return this.calls.runCluster('stop', wait, async () => {
      await this.stopAll(false);
      this.timeline.publish({ type: 'cluster.stopped', actor });
    });
  }

  /** Takes over from whatever is in progress, kills every node, wipes the data and starts fresh. */
  reset(opts: StartOptions): Promise<ClusterView> {
    this.requireLifecycle();
    if (this.calls.clusterCall() === 'reset') throw inProgress(busySentence('The cluster', 'cluster reset'));
    const earlier = this.calls.takeOver();
    return this.calls.runCluster('reset', opts.wait, async (epoch) => {
      await this.stopAll(true);
      // Earlier work sees the new epoch (or its node gone) at its next step and ends; whatever it
      // launched meanwhile is killed by the second sweep.
      await settleWithin(earlier, this.config.nodeTimeoutMs);
      await this.stopAll(true);
      const shape = {
        brokers: opts.brokers ?? this.store.persisted?.brokerIds.length ?? this.config.brokers,
        controllers: opts.controllers ?? this.store.persisted?.controllers ?? this.config.controllers,
      };
      this.store.wipe();
      const cluster = this.store.create(shape);
      this.timeline.publish({ type: 'cluster.reset', actor: opts.actor, brokers: shape.brokers, controllers: shape.controllers, clusterId: cluster.clusterId });
      await this.startNodes(this.store.all().map((n) => n.id), 'system', epoch);
      this.timeline.publish({ type: 'cluster.started', actor: opts.actor, brokers: shape.brokers, controllers: shape.controllers });
    });
  }

  async addBroker(actor: string, wait: boolean): Promise<{ node: NodeView; cluster: ClusterView }> {
    this.requireLifecycle();
    if (!this.store.persisted || this.store.clusterState(null) === 'stopped') throw conflict('The cluster is stopped: start it before adding a broker.');
    this.calls.requireNoClusterCall();
    const tooMany = addBrokerRefusal(this.store.persisted.brokerIds.length);
    if (tooMany) throw conflict(tooMany);
    const blocker = this.launcher.controllerBlocker();
    if (blocker) throw conflict(`Cannot add a broker: ${blocker}.`);
    const n = this.store.addBroker();
    const cluster = await this.runNodeAction('start', n, actor, wait);
    return { node: this.node(n.id), cluster };
  }

  // ---- one node ----------------------------------------------------------------------------------

  /** stop, kill, pause, resume or start one node, as NODE_ACTIONS says. */
  nodeAction(action: NodeActionName, id: number, actor: string, wait: boolean): Promise<ClusterView> {
    this.requireLifecycle();
    const n = this.store.require(id);
    this.calls.requireNoClusterCall();
    if (n.pending) throw inProgress(busySentence(capitalized(label(n)), n.pending));
    const refusal = refusalOf(action, { id: n.id, role: n.role, state: n.state, alive: this.driver.isAlive(n.id) });
    if (refusal) throw conflict(refusal);
    return this.runNodeAction(action, n, actor, wait);
  }

  private runNodeAction(action: NodeActionName, n: NodeRecord, actor: string, wait: boolean): Promise<ClusterView> {
    const a = NODE_ACTIONS[action];
    const publish = () => this.timeline.publish({ type: a.event, actor, nodeId: n.id, role: n.role });
    // Shown at once if the action says so; a start shows `pending` until its process is launched.
    if (a.announce) this.store.setState(n, a.announce);
    let driven!: () => void;
    const launched = new Promise<void>((r) => (driven = r));
    const call = this.calls.runOnNode(n, action, wait, async (epoch) => {
      try {
        await a.drive(this.actionContext, n.id);
      } catch (e) {
        throw this.actionFailure(action, n, e);
      } finally {
        driven();
      }
      this.calls.requireCurrent(epoch, n);
      if (a.settle.kind === 'done') this.store.setState(n, a.settle.after);
      else if (n.state === 'paused' || n.state === 'running') this.store.setState(n, 'starting');
      if (a.eventAt === 'driven') publish();
      if (a.settle.kind === 'ready') {
        await this.readiness.waitReady([n.id], () => this.calls.epoch === epoch);
        if (a.eventAt === 'ready') publish();
      }
    });
    // A start that is not waited for answers once its process is launched (or it could not be), so the
    // 202 shows the node `starting` (or `crashed` with why), never `starting` without a process.
    return wait || action !== 'start' ? call : launched.then(() => this.view());
  }

  /** A driver that failed because the node died meanwhile gets the same 409 a later call would. */
  private actionFailure(action: NodeActionName, n: NodeRecord, e: unknown): Error {
    if (e instanceof LabError) return e;
    const refusal = refusalOf(action, { id: n.id, role: n.role, state: n.state, alive: this.driver.isAlive(n.id) });
    if (refusal && action !== 'start') return conflict(refusal);
    return driverFailed(`Could not ${action} ${label(n)}: ${(e as Error).message}.`);
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Starts the nodes and waits until each serves or fails; node.started for those that serve. */
  private async startNodes(ids: number[], actor: string, epoch: number): Promise<void> {
    await this.bringUp(ids, epoch);
    const failure = await this.readiness.settle(ids, () => this.calls.epoch === epoch);
    for (const id of ids) {
      const n = this.store.get(id);
      if (n?.state === 'running') this.timeline.publish({ type: 'node.started', actor, nodeId: id, role: n.role });
    }
    if (failure) throw failure;
  }

  private async bringUp(ids: number[], epoch: number): Promise<void> {
    await this.launcher.bringUp(ids, (n) => this.calls.requireCurrent(epoch, n));
    this.readiness.watch();
  }

  /**
   * Every driver call is coded and bounded: a driver error is a DRIVER_FAILED sentence (never a 500),
   * and a node that never reports gone cannot hang a stop or a reset (its stop falls back to a kill).
   */
  private async stopAll(abrupt: boolean): Promise<void> {
    const alive = this.store.all().filter((n) => this.driver.isAlive(n.id));
    const kill = (n: NodeRecord) => withDeadline(this.driver.kill(n.id), KILL_WAIT_MS);
    const one = async (n: NodeRecord) => {
      try {
        const ms = this.gracefulStopMs(n.id);
        // A stop that does not report the node gone in time (its own kill fallback included) ends in a kill.
        const stopped = abrupt ? false : await withDeadline(this.driver.stop(n.id, ms), ms + KILL_WAIT_MS).then(() => true, (e) => {
          if (e instanceof LabError && e.code === 'TIMEOUT') return false;
          throw e;
        });
        if (!stopped) await kill(n);
      } catch (e) {
        throw driverFailed(`Could not ${abrupt ? 'kill' : 'stop'} ${label(n)}: ${(e as Error).message}`);
      }
      this.store.setState(n, 'stopped');
    };
    // Brokers first: their controlled shutdown needs a controller.
    const brokers = await Promise.allSettled(alive.filter((n) => n.role === 'broker').map(one));
    const controllers = await Promise.allSettled(alive.filter((n) => n.role === 'controller').map(one));
    for (const n of this.store.all()) if (!this.driver.isAlive(n.id)) this.store.setState(n, 'stopped');
    const failed = [...brokers, ...controllers].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * A broker's controlled shutdown asks the controller to move its leaders away; with no controller
   * running it cannot finish and would only wait out the whole grace period before being killed.
   */
  private gracefulStopMs(id: number): number {
    const broker = this.store.get(id)?.role === 'broker';
    return broker && this.launcher.controllerBlocker() ? NO_CONTROLLER_STOP_MS : GRACEFUL_STOP_MS;
  }

  private pushView(): void {
    this.bus.emit('cluster', this.view());
  }

  private requireLifecycle(): void {
    if (!this.driver.controlsLifecycle) {
      throw conflict(`This lab server uses the ${this.driver.name} driver, which cannot start or stop Kafka nodes.`);
    }
  }
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
