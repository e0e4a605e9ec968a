import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabConfig } from '../config/lab-config';
import type { TimelineService } from '../timeline/timeline.service';
import { classTlsFiles, ensureClassTls } from '../class-tls/class-tls';
import { LabError, LabErrorCode } from '../common/lab-error';
import type { KafkaDistribution, NodeExit, NodeSpec } from './cluster.types';
import { locateKafka } from './distribution/kafka-distribution';
import type { ClusterDriver } from './drivers/cluster-driver';
import { label } from './node-actions';
import { bindFailure, exitReason, fileSize, lastFatalLine, portFree, portInUse, readTail } from './node-diagnosis';
import { formattedBy, newerDataBeforeStart, newerDataFromLog, recordFormattedBy } from './data-version';
import { parseKafkaVersion, supportsConsumerProtocol } from './distribution/kafka-version';
import type { NodeRecord, NodeStore } from './node-store';
import { classListenerPort } from './server-properties';

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
  /**
   * The 3.x release that formatted the controller's data when a 4.x runs it: Kafka keeps the feature
   * levels a cluster was formatted with, so its consumer-protocol and share groups stay off.
   */
  formattedByOlder: string | null = null;

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
    // A node shows `starting` only once its process is launched (API.md); `pending` shows the call meanwhile.
    const failed = new Set<number>();
    const fail = (n: NodeRecord, reason: string, code: LabErrorCode | null, blocked = false) => {
      failed.add(n.id);
      this.cannotStart(n, reason, code, blocked);
    };
    let dist: KafkaDistribution;
    try {
      dist = await this.distribution();
    } catch (e) {
      for (const n of nodes) fail(n, `Kafka is not available: ${(e as Error).message}`, codeOf(e, 'KAFKA_DISTRIBUTION'));
      return;
    }
    checkCurrent();
    const tlsProblem = await this.classTls();
    if (tlsProblem) {
      for (const n of nodes.filter((x) => x.role === 'broker')) fail(n, tlsProblem, 'DRIVER_FAILED');
    }
    const clusterId = this.store.persisted!.clusterId;
    const specs = new Map<number, NodeSpec>();
    for (const n of nodes.filter((x) => !failed.has(x.id))) {
      try {
        specs.set(n.id, this.store.writeNodeFiles(n, dist.version));
      } catch (e) {
        fail(n, `its files could not be written: ${(e as Error).message}`, 'DRIVER_FAILED');
      }
    }
    for (const n of nodes.filter((x) => specs.has(x.id))) {
      // Data a newer Kafka formatted: an older one would die on it with a stack trace.
      const newer = newerDataBeforeStart(this.store.nodeDir(n.id), specs.get(n.id)!.dataDir, dist.version);
      if (newer) fail(n, newer, null, true);
    }
    await Promise.all(nodes.filter((n) => specs.has(n.id) && !failed.has(n.id)).map((n) => this.format(dist, specs.get(n.id)!, clusterId).catch((e) => fail(n, (e as Error).message, codeOf(e, 'DRIVER_FAILED')))));
    const ordered = [...nodes.filter((n) => n.role === 'controller'), ...nodes.filter((n) => n.role === 'broker')];
    for (const n of ordered) {
      checkCurrent(n);
      if (failed.has(n.id)) continue;
      const why = (await this.heldBeforeStart(n)) ?? (n.role === 'broker' ? this.controllerBlocker() : null);
      if (why) {
        fail(n, why, null, true);
        continue;
      }
      const spec = specs.get(n.id)!;
      n.logOffset = fileSize(spec.logFile);
      n.launchedAt = Date.now();
      // Again right before the spawn: a reset or the server's shutdown may have begun during the port check.
      checkCurrent(n);
      this.store.setState(n, 'starting');
      try {
        await this.driver.start(dist, spec);
      } catch (e) {
        fail(n, `it could not be launched: ${(e as Error).message}`, codeOf(e, 'DRIVER_FAILED'));
      }
    }
  }

  /**
   * With LAB_KAFKA_TLS: the class CA (made once) and the brokers' keystore for the public host (made
   * again when the host changed), before any broker's file names it. A sentence when that fails.
   */
  private async classTls(): Promise<string | null> {
    const cls = this.config.classListener;
    if (!cls?.tls) return null;
    try {
      const t0 = Date.now();
      const tls = await ensureClassTls(this.config.dataDir, cls.publicHost);
      if (tls.made !== 'nothing') {
        const what = tls.made === 'keystore' ? 'a new broker certificate (the CA is kept)' : 'the CA and the broker certificate';
        this.log.log(`Class listener TLS: made ${what} for ${cls.publicHost} in ${Date.now() - t0} ms; students download the CA from GET /api/class/ca.pem (kept in ${tls.dir}).`);
      }
      return null;
    } catch (e) {
      return `the class listener's TLS certificate could not be made in ${classTlsFiles(this.config.dataDir).dir}: ${(e as Error).message}`;
    }
  }

  /** portInUse's sentence when the node's port, or a broker's class listener port, is taken now. */
  private async heldBeforeStart(n: NodeRecord): Promise<string | null> {
    if (!(await portFree(n.host, n.port))) return portInUse(n.port);
    const cls = this.config.classListener;
    if (!cls || n.role !== 'broker') return null;
    const port = classListenerPort(this.config.kafkaPortBase, n.id);
    return (await portFree(cls.bindHost, port)) ? null : portInUse(port);
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
    const held = this.heldPort(n);
    const reason = blocked ?? held ?? `it did not become ready within ${Math.round(this.config.nodeTimeoutMs / 1000)} s${fatal ? `; its log says: ${fatal}` : ''}`;
    await this.driver.kill(n.id).catch(() => undefined);
    if (n.state !== 'starting') return;
    this.crashed(n, reason, null, 'SIGKILL', 'system');
    n.blocked = blocked !== null || held !== null;
  }

  /**
   * Formats a node's storage once (the driver skips formatted data) and records which Kafka formatted
   * it, so an older Kafka is refused before it meets data it cannot read (data-version.ts).
   */
  private async format(dist: KafkaDistribution, spec: NodeSpec, clusterId: string): Promise<void> {
    const fresh = !fs.existsSync(path.join(spec.dataDir, 'meta.properties'));
    await this.driver.format(dist, spec, clusterId);
    if (fresh && parseKafkaVersion(dist.version)) recordFormattedBy(spec.dir, dist.version);
    const written = formattedBy(spec.dir);
    if (spec.role !== 'controller') return;
    this.formattedByOlder = written && !supportsConsumerProtocol(written) && supportsConsumerProtocol(dist.version) ? written : null;
    if (this.formattedByOlder) {
      this.log.warn(`Node ${spec.id}'s data was formatted by Kafka ${written}: Kafka ${dist.version} runs it, but its consumer-protocol and share groups stay off until the cluster is reset.`);
    }
  }

  /** A node's process ended without anybody asking: crashed, with Kafka's own last error if it wrote one. */
  onExit(e: NodeExit): void {
    const n = this.store.get(e.id);
    if (!n || e.expected) return;
    // Another program took the port between our check and the JVM's bind: the same 409 as a held port.
    // Data a newer Kafka wrote (formatted before the lab recorded versions): a 409 too, said plainly.
    const blocked = this.heldPort(n) ?? newerDataFromLog(readTail(this.store.logFile(n.id), n.logOffset ?? 0), this.store.dataDir(n.id));
    this.crashed(n, blocked ?? exitReason(e.code, e.signal, lastFatalLine(this.store.logFile(n.id), n.logOffset)), e.code, e.signal, 'kafka');
    if (blocked) n.blocked = true;
  }

  /** portInUse's sentence when this run of the node failed to bind its port, else null. */
  private heldPort(n: NodeRecord): string | null {
    const port = bindFailure(this.store.logFile(n.id), n.logOffset);
    return port === null ? null : portInUse(port);
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

  private cannotStart(n: NodeRecord, reason: string, code: LabErrorCode | null, blocked: boolean): void {
    if (this.driver.isAlive(n.id)) return;
    this.crashed(n, reason, null, null, 'system');
    n.blocked = blocked;
    if (code) n.failure = code;
  }

  private crashed(n: NodeRecord, reason: string, exitCode: number | null, signal: string | null, actor: string): void {
    this.store.setState(n, 'crashed', reason);
    this.timeline.publish({ type: 'node.crashed', actor, nodeId: n.id, role: n.role, exitCode, signal, reason });
  }
}

/** A LabError keeps its own code (DRIVER_FAILED, KAFKA_DISTRIBUTION, ...); anything else is `otherwise`. */
const codeOf = (e: unknown, otherwise: LabErrorCode): LabErrorCode => (e instanceof LabError ? e.code : otherwise);
