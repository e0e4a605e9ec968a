import Docker from 'dockerode';
import type { LabConfig } from '../../config/lab-config';

/** What to create: the Docker Engine API's create body (see container-spec.ts). */
export type ContainerCreateSpec = Docker.ContainerCreateOptions;

/** The engine answered that the image is not on this machine. */
export class ImageMissingError extends Error {}

/**
 * The few container operations the docker driver needs, in its own words (as testcontainers-node
 * puts a small ContainerClient over dockerode): the driver is unit-tested against a fake of this, and
 * the differences between engines (Docker, podman) are settled here. "Not running" is no error where
 * it is what was asked for (stop, kill, unpause), and removing what is not there is no error.
 */
export interface ContainerClient {
  /** Where the engine is, for messages ("socket /var/run/docker.sock"). */
  readonly endpoint: string;
  /** Whether the image is on this machine; rejects when the engine cannot be reached. */
  hasImage(image: string): Promise<boolean>;
  /** Creates a container and returns its id; rejects with ImageMissingError when its image is not here. */
  create(spec: ContainerCreateSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** Resolves when the container has exited: its exit code, or null when the container is gone. */
  wait(id: string): Promise<number | null>;
  /** Everything it wrote to stdout and stderr, as text. */
  output(id: string): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. */
  stop(id: string, graceSeconds: number): Promise<void>;
  kill(id: string, signal: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  isPaused(id: string): Promise<boolean>;
  /** Removes it (running or not) with its anonymous volumes. */
  remove(idOrName: string): Promise<void>;
  /** Ids of the containers that carry `label` (`key=value`), running, paused or stopped. */
  list(label: string): Promise<string[]>;
  /** The engine's container events for `label`, as a stream of JSON objects; `since` (seconds) replays. */
  events(label: string, since?: number): Promise<NodeJS.ReadableStream>;
}

interface DockerError extends Error {
  statusCode?: number;
}

/** Docker answers 409 for "not running"; podman 500 with "container state improper"; 304 for stop. */
export function isNotRunning(e: DockerError): boolean {
  if (e.statusCode === 304 || e.statusCode === 404 || e.statusCode === 409) return true;
  return e.statusCode === 500 && /not running|state improper|can only kill running|is not paused|already stopped/i.test(e.message);
}

function ignoreNotRunning(e: DockerError): void {
  if (!isNotRunning(e)) throw e;
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

/** The ContainerClient of a Docker Engine API (Docker itself, or podman's compatible service). */
export class DockerodeClient implements ContainerClient {
  readonly endpoint: string;
  private readonly docker: Docker;

  constructor(options: Docker.DockerOptions) {
    this.docker = new Docker(options);
    this.endpoint = options.socketPath ? `socket ${options.socketPath}` : `${options.protocol}://${options.host}:${options.port}`;
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (e) {
      if ((e as DockerError).statusCode === 404) return false;
      throw e;
    }
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    try {
      return (await this.docker.createContainer(spec)).id;
    } catch (e) {
      const err = e as DockerError;
      if (err.statusCode === 404 && /image/i.test(err.message)) throw new ImageMissingError(err.message);
      throw e;
    }
  }

  async start(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  async wait(id: string): Promise<number | null> {
    try {
      return ((await this.docker.getContainer(id).wait()) as { StatusCode: number }).StatusCode;
    } catch (e) {
      if ((e as DockerError).statusCode === 404) return null;
      throw e;
    }
  }

  async output(id: string): Promise<string> {
    const buf = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return demuxDockerLog(buf);
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    await this.docker.getContainer(id).stop({ t: graceSeconds }).catch(ignoreNotRunning);
  }

  async kill(id: string, signal: string): Promise<void> {
    await this.docker.getContainer(id).kill({ signal }).catch(ignoreNotRunning);
  }

  async pause(id: string): Promise<void> {
    await this.docker.getContainer(id).pause();
  }

  async unpause(id: string): Promise<void> {
    await this.docker.getContainer(id).unpause().catch(ignoreNotRunning);
  }

  async isPaused(id: string): Promise<boolean> {
    try {
      return (await this.docker.getContainer(id).inspect()).State.Paused === true;
    } catch {
      return false;
    }
  }

  async remove(idOrName: string): Promise<void> {
    await this.docker
      .getContainer(idOrName)
      .remove({ force: true, v: true })
      .catch((e: DockerError) => {
        if (e.statusCode !== 404) throw e;
      });
  }

  async list(label: string): Promise<string[]> {
    // all: true, or podman leaves paused containers out of the list.
    return (await this.docker.listContainers({ all: true, filters: { label: [label] } })).map((c) => c.Id);
  }

  events(label: string, since?: number): Promise<NodeJS.ReadableStream> {
    // No `event` filter: podman matches it against its own names ("died"), so "die" would never come.
    const opts: Record<string, unknown> = { filters: { type: ['container'], label: [label] } };
    if (since) opts.since = since;
    return this.docker.getEvents(opts) as Promise<NodeJS.ReadableStream>;
  }
}
