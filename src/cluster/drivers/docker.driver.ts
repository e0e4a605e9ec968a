import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { LabConfig } from '../../config/lab-config';
import type { KafkaDistribution, NodeExit, NodeRole, NodeSpec } from '../cluster.types';
import { kafkaJvmArgs } from '../server-properties';
import { withDeadline } from '../../common/deadline';
import type { ClusterDriver } from './cluster-driver';

/** Every container we create carries these, so a later run (or a reset) can find and reap them. */
export const LABELS = {
  owner: 'kafka-lab.owner',
  nodeId: 'kafka-lab.node-id',
  role: 'kafka-lab.role',
  /** Only on the one-shot storage-format containers, so they are never mistaken for nodes. */
  task: 'kafka-lab.task',
} as const;

/**
 * The registry-free image the tests use (an empty filesystem made with `podman import`); any image
 * whose name starts with this runs the HOST's java and jars instead of the official image's scripts.
 * Chosen by name rather than by a separate flag: one setting (LAB_DOCKER_IMAGE) says everything.
 */
export const HOST_RUNTIME_IMAGE_PREFIX = 'localhost/kafka-lab-host-runtime';
/** The official image's Kafka install. */
const KAFKA_HOME_IN_IMAGE = '/opt/kafka';
/** Read-only host folders a host-runtime container needs to run the host's java. */
export const HOST_SYSTEM_DIRS = ['/usr', '/lib', '/lib64', '/bin', '/etc'];

export type ImageMode = 'official' | 'host-runtime';

export function imageMode(image: string): ImageMode {
  return image.startsWith(HOST_RUNTIME_IMAGE_PREFIX) ? 'host-runtime' : 'official';
}

/** A label value good for container names too; the lead may pass a short hash, anything else is hashed. */
export function nameTag(labelValue: string): string {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,15}$/.test(labelValue)
    ? labelValue
    : createHash('sha256').update(labelValue).digest('hex').slice(0, 12);
}

export function containerName(labelValue: string, role: NodeRole, id: number, task?: 'format'): string {
  return `kafka-lab-${nameTag(labelValue)}-${role}-${id}${task ? `-${task}` : ''}`;
}

/** dockerode connection options: LAB_DOCKER_SOCKET, else DOCKER_HOST, else the default socket. */
export function dockerConnection(docker: LabConfig['docker']): Docker.DockerOptions {
  if (docker.socketPath) return { socketPath: docker.socketPath };
  const host = docker.host;
  if (host) {
    if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
    const u = new URL(host.replace(/^tcp:\/\//, 'http://'));
    return { host: u.hostname, port: Number(u.port || 2375), protocol: u.protocol === 'https:' ? 'https' : 'http' };
  }
  return { socketPath: '/var/run/docker.sock' };
}

/** Drops folders that sit inside another folder of the list (one bind mount covers them). */
function outermost(dirs: string[]): string[] {
  const uniq = [...new Set(dirs.map((d) => path.resolve(d)))].sort();
  return uniq.filter((d) => !uniq.some((o) => o !== d && (d + '/').startsWith(o === '/' ? '/' : o + '/')));
}

export interface ContainerSpecInput {
  image: string;
  labelValue: string;
  node: NodeSpec;
  dist: KafkaDistribution;
  heap: string;
  /** `run` the node, or `format` its storage for clusterId. */
  task: 'run' | 'format';
  clusterId?: string;
  /** "uid:gid" the container runs as, so files in the bind-mounted node folder stay the service's own. */
  user?: string;
  /** Host-runtime only: the system folders to mount read-only (those of HOST_SYSTEM_DIRS that exist here). */
  systemDirs?: string[];
}

/**
 * Everything about a node's container, as a pure function of its inputs (unit-tested): same paths
 * inside as outside, host networking, our labels, and the same java command line the process driver
 * runs (host-runtime) or the official image's start script on the same server.properties.
 */
export function containerSpec(input: ContainerSpecInput): Docker.ContainerCreateOptions {
  const { image, labelValue, node, dist, heap, task, user } = input;
  if (task === 'format' && !input.clusterId) throw new Error('containerSpec: a format task needs a clusterId.');
  const mode = imageMode(image);
  const formatArgs = ['format', `--cluster-id=${input.clusterId ?? ''}`, '-c', node.propertiesPath, '--ignore-formatted'];
  // The node's folder and anything of it that lives elsewhere, read-write at the same path.
  const nodeDirs = outermost([node.dir, path.dirname(node.propertiesPath), path.dirname(node.log4jPath), node.dataDir, path.dirname(node.logFile)]);
  const binds = nodeDirs.map((d) => `${d}:${d}:rw`);

  let entrypoint: string[];
  let cmd: string[];
  const env = [`KAFKA_LAB_NODE_ID=${node.id}`];
  const tmpfs: Record<string, string> = {};
  if (mode === 'host-runtime') {
    const javaArgs = kafkaJvmArgs({
      libsDir: dist.libsDir,
      log4jPath: node.log4jPath,
      logDir: node.dir,
      heap,
      mainArgs: task === 'run' ? [node.propertiesPath] : formatArgs,
      main: task === 'run' ? undefined : 'kafka.tools.StorageTool',
    });
    entrypoint = [dist.javaBin];
    cmd = javaArgs;
    const systemDirs = input.systemDirs ?? HOST_SYSTEM_DIRS;
    const system = systemDirs.map((d) => `${d}:${d}:ro`);
    // A java outside the system folders (a JAVA_HOME under /opt, say) needs its home mounted too.
    const javaHome = path.dirname(path.dirname(path.resolve(dist.javaBin)));
    const extra = systemDirs.some((d) => (javaHome + '/').startsWith(d + '/')) ? [] : [`${javaHome}:${javaHome}:ro`];
    binds.unshift(...system, ...extra, `${dist.libsDir}:${dist.libsDir}:ro`);
    // The JVM writes its perf data and temp files to /tmp; the empty image has none.
    tmpfs['/tmp'] = 'rw,mode=1777';
    env.push('HOME=/tmp', 'PATH=/usr/local/bin:/usr/bin:/bin');
  } else {
    // The image's own scripts, given the same heap and log4j file the process driver uses.
    entrypoint = [`${KAFKA_HOME_IN_IMAGE}/bin/${task === 'run' ? 'kafka-server-start.sh' : 'kafka-storage.sh'}`];
    cmd = task === 'run' ? [node.propertiesPath] : formatArgs;
    env.push(`KAFKA_HEAP_OPTS=-Xmx${heap} -Xms64m`, `KAFKA_LOG4J_OPTS=-Dlog4j.configuration=file:${node.log4jPath}`, `LOG_DIR=${node.dir}`);
  }

  const labels: Record<string, string> = {
    [LABELS.owner]: labelValue,
    [LABELS.nodeId]: String(node.id),
    [LABELS.role]: node.role,
  };
  if (task === 'format') labels[LABELS.task] = 'format';

  return {
    name: containerName(labelValue, node.role, node.id, task === 'format' ? 'format' : undefined),
    Image: image,
    Entrypoint: entrypoint,
    Cmd: cmd,
    Env: env,
    Labels: labels,
    WorkingDir: node.dir,
    ...(user ? { User: user } : {}),
    HostConfig: {
      NetworkMode: 'host',
      Binds: binds,
      ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
      // A crash must stay a crash for the lab to show it; the service decides about restarts.
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
    },
  };
}

/** Docker's log stream (Tty off) is framed: 8-byte headers, then the payload. Returns the plain text. */
export function demuxDockerLog(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  // Not framed (a Tty container, or an engine that sends raw text): take it as is.
  if (i === 0) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

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

interface DockerError extends Error {
  statusCode?: number;
  json?: { message?: string } | null;
}

/** Docker answers 409 for "not running"; podman 500 with "container state improper"; 304 for stop. */
function isNotRunning(e: DockerError): boolean {
  if (e.statusCode === 304 || e.statusCode === 404 || e.statusCode === 409) return true;
  return e.statusCode === 500 && /not running|state improper|can only kill running|is not paused|already stopped/i.test(e.message);
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

interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
  time?: number;
}

/**
 * Runs each node in a container on the host network. State is tracked locally (what we did) and by
 * the engine's event stream, filtered on our owner label, which is how a container that dies on its
 * own (or is killed from outside) becomes an onExit with expected=false.
 */
export class DockerDriver implements ClusterDriver {
  readonly name = 'docker' as const;
  readonly controlsLifecycle = true;
  private readonly docker: Docker;
  private readonly image: string;
  private readonly log = new Logger('DockerDriver');
  private readonly nodes = new Map<number, NodeState>();
  private readonly exitListeners: Array<(exit: NodeExit) => void> = [];
  private events: NodeJS.ReadableStream | null = null;
  private eventsOpening: Promise<void> | null = null;
  private lastEventSec = 0;
  private closed = false;
  private imageChecked = false;
  private readonly user: string | undefined;
  /** Not every system has all of them (no /lib64 on some arm64 installs); mounting a missing one fails. */
  private readonly systemDirs = HOST_SYSTEM_DIRS.filter((d) => fs.existsSync(d));

  constructor(
    private readonly config: LabConfig,
    private readonly labelValue: string,
  ) {
    this.docker = new Docker(dockerConnection(config.docker));
    this.image = config.docker.image;
    this.user = typeof process.getuid === 'function' && typeof process.getgid === 'function' ? `${process.getuid()}:${process.getgid()}` : undefined;
  }

  onExit(listener: (exit: NodeExit) => void): void {
    this.exitListeners.push(listener);
  }

  isAlive(id: number): boolean {
    return this.nodes.get(id)?.alive ?? false;
  }

  async sweepOrphans(): Promise<number> {
    const found = await this.ours();
    for (const c of found) {
      const st = this.stateByContainer(c.Id);
      if (st) st.expectingExit = true;
      await this.removeQuietly(c.Id);
      if (st) this.reportExit(c.Id, null);
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
    await this.removeQuietly(spec.name!);
    const c = await this.create(spec);
    try {
      await c.start();
      const res = await withDeadline(c.wait() as Promise<{ StatusCode: number }>, this.config.nodeTimeoutMs, () =>
        c.kill().catch(() => undefined),
      ).catch((e: Error) => {
        throw new Error(`Formatting the storage of ${node.role} ${node.id} did not finish: ${e.message}`);
      });
      if (res.StatusCode !== 0) {
        const out = demuxDockerLog((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
        const tail = outputTail(out);
        throw new Error(`Formatting the storage of ${node.role} ${node.id} failed (exit code ${res.StatusCode}). The storage tool said:\n${tail}`);
      }
    } finally {
      await this.removeQuietly(c.id);
    }
  }

  async start(dist: KafkaDistribution, node: NodeSpec): Promise<void> {
    const prev = this.nodes.get(node.id);
    if (prev?.alive) throw new Error(`node ${node.id} is already running (container ${prev.containerId.slice(0, 12)})`);
    await this.ensureReady();
    const spec = containerSpec({ image: this.image, labelValue: this.labelValue, node, dist, heap: this.config.kafkaHeap, task: 'run', user: this.user, systemDirs: this.systemDirs });
    // A stopped node's old container keeps its name: recreating is simpler than reconciling its config.
    await this.removeQuietly(spec.name!);
    fs.mkdirSync(node.dir, { recursive: true });
    const c = await this.create(spec);
    this.nodes.set(node.id, { role: node.role, containerId: c.id, alive: true, paused: false, expectingExit: false, exitReported: false });
    try {
      await c.start();
    } catch (e) {
      this.nodes.delete(node.id);
      await this.removeQuietly(c.id);
      throw new Error(`The container for ${node.role} ${node.id} did not start: ${(e as Error).message}`);
    }
  }

  async stop(id: number, timeoutMs: number): Promise<void> {
    const st = this.nodes.get(id);
    if (!st || st.exitReported) return;
    st.expectingExit = true;
    const c = this.docker.getContainer(st.containerId);
    // A frozen process cannot act on SIGTERM (podman refuses outright): thaw it first.
    if (st.paused || (await this.isPaused(c))) await c.unpause().catch(ignoreNotRunning);
    await c.stop({ t: Math.max(1, Math.ceil(timeoutMs / 1000)) }).catch(ignoreNotRunning);
    await this.waitGone(st.containerId);
  }

  async kill(id: number): Promise<void> {
    const st = this.nodes.get(id);
    if (!st || st.exitReported) return;
    st.expectingExit = true;
    await this.docker.getContainer(st.containerId).kill({ signal: 'SIGKILL' }).catch(ignoreNotRunning);
    await this.waitGone(st.containerId);
  }

  async pause(id: number): Promise<void> {
    const st = this.running(id, 'pause');
    await this.docker.getContainer(st.containerId).pause().catch((e: Error) => {
      throw new Error(`Could not pause ${st.role} ${id}: ${e.message}`);
    });
    st.paused = true;
  }

  async resume(id: number): Promise<void> {
    const st = this.running(id, 'resume');
    await this.docker.getContainer(st.containerId).unpause().catch((e: DockerError) => {
      if (!isNotRunning(e)) throw new Error(`Could not resume ${st.role} ${id}: ${e.message}`);
    });
    st.paused = false;
  }

  async shutdownAll(timeoutMs: number): Promise<void> {
    const ids = [...this.nodes.keys()];
    const stopAll = (role: NodeRole) =>
      Promise.all(ids.filter((i) => this.nodes.get(i)!.role === role).map((i) => this.stop(i, timeoutMs).catch(() => this.kill(i))));
    // Brokers first: a broker's controlled shutdown needs a live controller.
    await stopAll('broker');
    await stopAll('controller');
    for (const c of await this.ours().catch(() => [])) await this.removeQuietly(c.Id);
    this.nodes.clear();
    this.closeEvents();
  }

  // ---- internals

  private running(id: number, verb: string): NodeState {
    const st = this.nodes.get(id);
    if (!st || !st.alive) throw new Error(`Cannot ${verb} node ${id}: its container is not running.`);
    return st;
  }

  private async ours(): Promise<Docker.ContainerInfo[]> {
    // all: true, or podman leaves paused containers out of the list.
    return this.docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${this.labelValue}`] } });
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
    const res = await (this.docker.getContainer(containerId).wait() as Promise<{ StatusCode: number }>).catch((e: DockerError) => {
      if (e.statusCode === 404) return { StatusCode: null };
      throw e;
    });
    this.reportExit(containerId, res.StatusCode);
  }

  private async isPaused(c: Docker.Container): Promise<boolean> {
    try {
      return (await c.inspect()).State.Paused === true;
    } catch {
      return false;
    }
  }

  private async create(spec: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    try {
      return await this.docker.createContainer(spec);
    } catch (e) {
      const err = e as DockerError;
      if (err.statusCode === 404 && /image/i.test(err.message)) throw new Error(missingImage(this.image));
      throw new Error(`Could not create container ${spec.name}: ${err.message}`);
    }
  }

  private async removeQuietly(idOrName: string): Promise<void> {
    await this.docker
      .getContainer(idOrName)
      .remove({ force: true, v: true })
      .catch((e: DockerError) => {
        if (e.statusCode !== 404) throw e;
      });
  }

  /** Engine reachable, image present, event stream open — before the first container of a run. */
  private async ensureReady(): Promise<void> {
    if (!this.imageChecked) {
      try {
        await this.docker.getImage(this.image).inspect();
      } catch (e) {
        const err = e as DockerError;
        if (err.statusCode === 404) throw new Error(missingImage(this.image));
        throw new Error(`Cannot reach the Docker engine (${describeConnection(this.config.docker)}): ${err.message}`);
      }
      this.imageChecked = true;
    }
    await this.openEvents();
  }

  private openEvents(): Promise<void> {
    if (this.events) return Promise.resolve();
    if (this.eventsOpening) return this.eventsOpening;
    this.closed = false;
    const opts: Record<string, unknown> = {
      // No `event` filter: podman matches it against its own names ("died"), so "die" would never come.
      filters: { type: ['container'], label: [`${LABELS.owner}=${this.labelValue}`] },
    };
    // After a reconnect, replay what happened while we were away.
    if (this.lastEventSec) opts.since = this.lastEventSec;
    this.eventsOpening = (this.docker.getEvents(opts) as Promise<NodeJS.ReadableStream>)
      .then((stream) => {
        this.events = stream;
        let buf = '';
        stream.on('data', (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) this.onEventLine(line);
          }
          // Some engines send one JSON object per chunk without a newline.
          if (buf.trim().endsWith('}')) {
            try {
              this.onEvent(JSON.parse(buf));
              buf = '';
            } catch {
              /* an incomplete object: wait for the rest */
            }
          }
        });
        const reopen = () => {
          if (this.events !== stream) return;
          this.events = null;
          // The engine went away or restarted: reconnect while we still have nodes to watch.
          if (!this.closed && this.nodes.size > 0) {
            setTimeout(() => void this.openEvents().catch(() => undefined), 1000).unref();
          }
        };
        stream.on('end', reopen);
        stream.on('close', reopen);
        stream.on('error', reopen);
      })
      .finally(() => {
        this.eventsOpening = null;
      });
    return this.eventsOpening;
  }

  private onEventLine(line: string): void {
    try {
      this.onEvent(JSON.parse(line));
    } catch {
      /* not an event */
    }
  }

  private onEvent(ev: DockerEvent): void {
    if (ev.time) this.lastEventSec = Math.max(this.lastEventSec, ev.time);
    const containerId = ev.Actor?.ID ?? ev.id;
    if (!containerId) return;
    const st = this.stateByContainer(containerId);
    if (!st) return;
    const action = ev.Action ?? ev.status;
    if (action === 'pause') st.paused = true;
    else if (action === 'unpause') st.paused = false;
    else if (action === 'die') {
      const raw = ev.Actor?.Attributes?.exitCode;
      this.reportExit(containerId, raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null);
    }
  }

  private closeEvents(): void {
    this.closed = true;
    const s = this.events as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    this.events = null;
    s?.destroy?.();
  }
}

function ignoreNotRunning(e: DockerError): void {
  if (!isNotRunning(e)) throw e;
}

function describeConnection(d: LabConfig['docker']): string {
  const o = dockerConnection(d);
  return o.socketPath ? `socket ${o.socketPath}` : `${o.protocol}://${o.host}:${o.port}`;
}

export function missingImage(image: string): string {
  if (imageMode(image) === 'host-runtime') {
    return `The image ${image} is not on this machine. It is an empty image made locally: run test/support/podman-service.sh (as root), or "podman import" an empty tar as ${image}.`;
  }
  return `The Docker image ${image} is not on this machine, and kafka-lab never pulls by itself. Get it with "docker pull ${image}" (or set LAB_DOCKER_IMAGE to an image you have).`;
}
