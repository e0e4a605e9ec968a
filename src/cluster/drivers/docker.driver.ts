import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import type { LabConfig } from '../../config/lab-config';
import type { KafkaDistribution, NodeExit, NodeRole, NodeSpec } from '../cluster.types';
import { withDeadline } from '../../common/deadline';
import type { ClusterDriver } from './cluster-driver';
import { ContainerClient, ContainerCreateSpec, dockerConnection, DockerodeClient, ImageMissingError } from './container-client';
import { ContainerEvent, ContainerEventStream } from './container-events';
import { containerSpec, HOST_SYSTEM_DIRS, LABELS, missingImage } from './container-spec';
import { driverFailed, wrongState } from '../../common/lab-error';

/** The last lines of a tool's output worth reading: Java stack frames and log4j's setup noise left out. */
export function outputTail(text: string, lines = 8): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() && !/^\s+at |^\s*\.\.\. \d+ more|^log4j:WARN/.test(l))
    .slice(-lines)
    .join('\n');
}

/** Exit code → signal name for the 128+n codes a killed container reports. */
export function signalOfExitCode(code: number | null): string | null {
  if (code === null || code <= 128) return null;
  const n = code - 128;
  const hit = Object.entries(osConstants.signals).find(([, v]) => v === n);
  return hit ? hit[0] : null;
}

interface NodeState {
  role: NodeRole;
  containerId: string;
  alive: boolean;
  paused: boolean;
  /** Set before we stop/kill it, so the exit that follows is reported as asked for. */
  expectingExit: boolean;
  exitReported: boolean;
}

/**
 * Runs each node in a container on the host network. State is tracked locally (what we did) and by
 * the engine's event stream, filtered on our owner label, which is how a container that dies on its
 * own (or is killed from outside) becomes an onExit with expected=false. What a container is comes
 * from container-spec.ts; the engine is reached through a ContainerClient (container-client.ts).
 */
export class DockerDriver implements ClusterDriver {
  readonly name = 'docker' as const;
  readonly controlsLifecycle = true;
  private readonly image: string;
  private readonly log = new Logger('DockerDriver');
  private readonly nodes = new Map<number, NodeState>();
  /** Set once shutdownAll began: a start after it would leave a container that outlives the server. */
  private closing = false;
  private readonly exitListeners: Array<(exit: NodeExit) => void> = [];
  private readonly events: ContainerEventStream;
  private readonly ownerLabel: string;
  private imageChecked = false;
  private readonly user: string | undefined;
  /** Not every system has all of them (no /lib64 on some arm64 installs); mounting a missing one fails. */
  private readonly systemDirs = HOST_SYSTEM_DIRS.filter((d) => fs.existsSync(d));

  constructor(
    private readonly config: LabConfig,
    private readonly labelValue: string,
    private readonly client: ContainerClient = new DockerodeClient(dockerConnection(config.docker)),
  ) {
    this.image = config.docker.image;
    this.user = typeof process.getuid === 'function' && typeof process.getgid === 'function' ? `${process.getuid()}:${process.getgid()}` : undefined;
    this.ownerLabel = `${LABELS.owner}=${labelValue}`;
    // Reconnect while we still have nodes to watch.
    this.events = new ContainerEventStream(client, this.ownerLabel, (ev) => this.onEvent(ev), () => this.nodes.size > 0);
  }

  onExit(listener: (exit: NodeExit) => void): void {
    this.exitListeners.push(listener);
  }

  isAlive(id: number): boolean {
    return this.nodes.get(id)?.alive ?? false;
  }

  async sweepOrphans(): Promise<number> {
    const found = await this.client.list(this.ownerLabel);
    for (const containerId of found) {
      const st = this.stateByContainer(containerId);
      if (st) st.expectingExit = true;
      await this.client.remove(containerId);
      if (st) this.reportExit(containerId, null);
    }
    return found.length;
  }

  async format(dist: KafkaDistribution, node: NodeSpec, clusterId: string): Promise<void> {
    // Formatting writes meta.properties; once it is there the tool would only say "already formatted".
    if (fs.existsSync(path.join(node.dataDir, 'meta.properties'))) return;
    await this.ensureReady();
    fs.mkdirSync(node.dataDir, { recursive: true });
    // The storage tool needs little memory (the process driver gives it the same).
    const spec = containerSpec({ image: this.image, labelValue: this.labelValue, node, dist, heap: '256m', task: 'format', clusterId, user: this.user, systemDirs: this.systemDirs });
    await this.client.remove(spec.name!);
    const id = await this.create(spec);
    try {
      await this.client.start(id);
      const code = await withDeadline(this.client.wait(id), this.config.nodeTimeoutMs, () => this.client.kill(id, 'SIGKILL').catch(() => undefined)).catch(
        (e: Error) => {
          throw driverFailed(`Formatting the storage of ${node.role} ${node.id} did not finish: ${e.message}`);
        },
      );
      if (code !== 0) {
        const tail = outputTail(await this.client.output(id));
        throw driverFailed(`Formatting the storage of ${node.role} ${node.id} failed (exit code ${code}). The storage tool said:\n${tail}`);
      }
    } finally {
      await this.client.remove(id);
    }
  }

  async start(dist: KafkaDistribution, node: NodeSpec): Promise<void> {
    const prev = this.nodes.get(node.id);
    if (prev?.alive) throw wrongState(`node ${node.id} is already running (container ${prev.containerId.slice(0, 12)})`);
    if (this.closing) throw driverFailed(`The container for ${node.role} ${node.id} was not started: the lab server is shutting down.`);
    await this.ensureReady();
    const spec = containerSpec({ image: this.image, labelValue: this.labelValue, node, dist, heap: this.config.kafkaHeap, task: 'run', user: this.user, systemDirs: this.systemDirs });
    // A stopped node's old container keeps its name: recreating is simpler than reconciling its config.
    await this.client.remove(spec.name!);
    fs.mkdirSync(node.dir, { recursive: true });
    const id = await this.create(spec);
    // shutdownAll may have listed the containers while this one was being created.
    if (this.closing) {
      await this.client.remove(id);
      throw driverFailed(`The container for ${node.role} ${node.id} was not started: the lab server is shutting down.`);
    }
    this.nodes.set(node.id, { role: node.role, containerId: id, alive: true, paused: false, expectingExit: false, exitReported: false });
    try {
      await this.client.start(id);
    } catch (e) {
      this.nodes.delete(node.id);
      await this.client.remove(id);
      throw driverFailed(`The container for ${node.role} ${node.id} did not start: ${(e as Error).message}`);
    }
  }

  async stop(id: number, timeoutMs: number): Promise<void> {
    const st = this.nodes.get(id);
    if (!st || st.exitReported) return;
    st.expectingExit = true;
    // A frozen process cannot act on SIGTERM (podman refuses outright): thaw it first.
    if (st.paused || (await this.client.isPaused(st.containerId))) await this.client.unpause(st.containerId);
    await this.client.stop(st.containerId, Math.max(1, Math.ceil(timeoutMs / 1000)));
    await this.waitGone(st.containerId);
  }

  async kill(id: number): Promise<void> {
    const st = this.nodes.get(id);
    if (!st || st.exitReported) return;
    st.expectingExit = true;
    await this.client.kill(st.containerId, 'SIGKILL');
    await this.waitGone(st.containerId);
  }

  async pause(id: number): Promise<void> {
    const st = this.running(id, 'pause');
    await this.client.pause(st.containerId).catch((e: Error) => {
      throw driverFailed(`Could not pause ${st.role} ${id}: ${e.message}`);
    });
    st.paused = true;
  }

  async resume(id: number): Promise<void> {
    const st = this.running(id, 'resume');
    await this.client.unpause(st.containerId).catch((e: Error) => {
      throw driverFailed(`Could not resume ${st.role} ${id}: ${e.message}`);
    });
    st.paused = false;
  }

  async shutdownAll(timeoutMs: number): Promise<void> {
    this.closing = true;
    const ids = [...this.nodes.keys()];
    const stopAll = (role: NodeRole) =>
      Promise.all(ids.filter((i) => this.nodes.get(i)!.role === role).map((i) => this.stop(i, timeoutMs).catch(() => this.kill(i))));
    // Brokers first: a broker's controlled shutdown needs a live controller.
    await stopAll('broker');
    await stopAll('controller');
    for (const c of await this.client.list(this.ownerLabel).catch(() => [])) await this.client.remove(c);
    this.nodes.clear();
    this.events.close();
  }

  // ---- internals

  private running(id: number, verb: string): NodeState {
    const st = this.nodes.get(id);
    if (!st || !st.alive) throw wrongState(`Cannot ${verb} node ${id}: its container is not running.`);
    return st;
  }

  private stateByContainer(containerId: string): NodeState | undefined {
    for (const st of this.nodes.values()) if (st.containerId === containerId) return st;
    return undefined;
  }

  private idOf(containerId: string): number | undefined {
    for (const [id, st] of this.nodes) if (st.containerId === containerId) return id;
    return undefined;
  }

  /** Once per container: marks the node gone and tells the listeners whether anybody asked for it. */
  private reportExit(containerId: string, code: number | null): void {
    const id = this.idOf(containerId);
    if (id === undefined) return;
    const st = this.nodes.get(id)!;
    if (st.exitReported) return;
    st.exitReported = true;
    st.alive = false;
    st.paused = false;
    const exit: NodeExit = { id, code, signal: signalOfExitCode(code), expected: st.expectingExit };
    if (!exit.expected) this.log.warn(`Node ${id}'s container ${containerId.slice(0, 12)} exited on its own (code ${code}); see its logs.`);
    for (const l of this.exitListeners) l(exit);
  }

  private async waitGone(containerId: string): Promise<void> {
    this.reportExit(containerId, await this.client.wait(containerId));
  }

  private async create(spec: ContainerCreateSpec): Promise<string> {
    try {
      return await this.client.create(spec);
    } catch (e) {
      if (e instanceof ImageMissingError) throw driverFailed(missingImage(this.image));
      throw driverFailed(`Could not create container ${spec.name}: ${(e as Error).message}`);
    }
  }

  /** Engine reachable, image present, event stream open — before the first container of a run. */
  private async ensureReady(): Promise<void> {
    if (!this.imageChecked) {
      let present: boolean;
      try {
        present = await this.client.hasImage(this.image);
      } catch (e) {
        throw driverFailed(`Cannot reach the Docker engine (${this.client.endpoint}): ${(e as Error).message}`);
      }
      if (!present) throw driverFailed(missingImage(this.image));
      this.imageChecked = true;
    }
    await this.events.open();
  }

  private onEvent(ev: ContainerEvent): void {
    const st = this.stateByContainer(ev.containerId);
    if (!st) return;
    if (ev.action === 'pause') st.paused = true;
    else if (ev.action === 'unpause') st.paused = false;
    else if (ev.action === 'die') this.reportExit(ev.containerId, ev.exitCode);
  }
}
