import { Logger } from '@nestjs/common';
import type { LabConfig } from '../config/lab-config';
import type { TimelineService } from '../timeline/timeline.service';
import type { KafkaDistribution, NodeExit } from './cluster.types';
import { locateKafka } from './distribution/kafka-distribution';
import type { ClusterDriver } from './drivers/cluster-driver';
import { label } from './node-actions';
import { exitReason, fileSize, lastFatalLine, portFree, portInUse } from './node-diagnosis';
import type { NodeRecord, NodeStore } from './node-store';

/**
 * Brings nodes up and says why one cannot run: checks before spawning (port held by another program,
 * no controller for a broker), Kafka's own last error when a node exits on its own, and the end of a
 * node that stays `starting` past the deadline. A node that cannot start ends `crashed` with `reason`.
 */
export class NodeLauncher {
  private readonly log = new Logger('Cluster');
  private dist: Promise<KafkaDistribution> | null = null;
  /** The located Kafka's version, once known. */
  version: string | null = null;

  constructor(
    private readonly config: LabConfig,
    private readonly driver: ClusterDriver,
    private readonly store: NodeStore,
    private readonly timeline: TimelineService,
  ) {}

  /**
   * Writes each node's files, formats them once, then launches controllers before brokers. A node
   * that cannot start is not launched: it ends `crashed` with the reason. `checkCurrent` throws when
   * a reset took over (then nothing more is launched).
   */
  async bringUp(ids: number[], checkCurrent: (n?: NodeRecord) => void): Promise<void> {
    const nodes = ids.map((id) => this.store.get(id)).filter((n): n is NodeRecord => !!n);
    for (const n of nodes) this.store.setState(n, 'starting');
    let dist: KafkaDistribution;
    try {
      dist = await this.distribution();
    } catch (e) {
      for (const n of nodes) this.cannotStart(n, `Kafka is not available: ${(e as Error).message}`);
      return;
    }
    checkCurrent();
    const clusterId = this.store.persisted!.clusterId;
    const specs = new Map(nodes.map((n) => [n.id, this.store.writeNodeFiles(n)]));
    await Promise.all(nodes.map((n) => this.driver.format(dist, specs.get(n.id)!, clusterId).catch((e) => this.cannotStart(n, (e as Error).message))));
    const ordered = [...nodes.filter((n) => n.role === 'controller'), ...nodes.filter((n) => n.role === 'broker')];
    for (const n of ordered) {
      checkCurrent(n);
      if (n.state !== 'starting') continue;
      const why = !(await portFree(n.host, n.port)) ? portInUse(n.port) : n.role === 'broker' ? this.controllerBlocker() : null;
      if (why) {
        this.cannotStart(n, why, true);
        continue;
      }
      const spec = specs.get(n.id)!;
      n.logOffset = fileSize(spec.logFile);
      n.launchedAt = Date.now();
      try {
        await this.driver.start(dist, spec);
      } catch (e) {
        this.cannotStart(n, `it could not be launched: ${(e as Error).message}`);
      }
    }
  }

  /** Why a broker cannot join now: fewer than a majority of the controllers run (paused ones do not). */
  controllerBlocker(): string | null {
    const controllers = this.store.ofRole('controller');
    const down = controllers.filter((c) => !this.driver.isAlive(c.id) || c.state === 'paused');
    if ((controllers.length - down.length) * 2 > controllers.length) return null;
    const which = down.map((c) => `${label(c)} is ${c.state}`).join(', ');
    return controllers.length === 1
      ? `the controller is not running (${which}); a broker cannot join the cluster without it`
      : `a majority of the controllers is not running (${which}); a broker cannot join the cluster without them`;
  }

  /**
   * A starting node passed the node deadline, or stayed `blocked` (its controller gone) past a short
   * grace: end it and say why. Blocked is a 409 (the cluster's state stops it), the deadline a 503.
   */
  async endOverdue(n: NodeRecord, blocked: string | null): Promise<void> {
    const fatal = lastFatalLine(this.store.logFile(n.id), n.logOffset);
    const reason = blocked ?? `it did not become ready within ${Math.round(this.config.nodeTimeoutMs / 1000)} s${fatal ? `; its log says: ${fatal}` : ''}`;
    await this.driver.kill(n.id).catch(() => undefined);
    if (n.state !== 'starting') return;
    this.crashed(n, reason, null, 'SIGKILL', 'system');
    n.blocked = blocked !== null;
  }

  /** A node's process ended without anybody asking: crashed, with Kafka's own last error if it wrote one. */
  onExit(e: NodeExit): void {
    const n = this.store.get(e.id);
    if (!n || e.expected) return;
    this.crashed(n, exitReason(e.code, e.signal, lastFatalLine(this.store.logFile(n.id), n.logOffset)), e.code, e.signal, 'kafka');
  }

  distribution(): Promise<KafkaDistribution> {
    if (!this.dist) {
      this.dist = locateKafka(this.config).then((d) => {
        this.version = d.version;
        this.log.log(`Kafka ${d.version} from ${d.origin}`);
        return d;
      });
      // A failed look-up is tried again by the next start.
      this.dist.catch(() => (this.dist = null));
    }
    return this.dist;
  }

  private cannotStart(n: NodeRecord, reason: string, blocked = false): void {
    if (this.driver.isAlive(n.id)) return;
    this.crashed(n, reason, null, null, 'system');
    n.blocked = blocked;
  }

  private crashed(n: NodeRecord, reason: string, exitCode: number | null, signal: string | null, actor: string): void {
    this.store.setState(n, 'crashed', reason);
    this.timeline.publish({ type: 'node.crashed', actor, nodeId: n.id, role: n.role, exitCode, signal, reason });
  }
}
