import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { KafkaDistribution, NodeRole, NodeSpec } from '../cluster.types';
import { kafkaJvmArgs, logConfigOption, storageFormatArgs } from '../server-properties';
import type { ContainerCreateSpec } from './container-client';

/** What a node's container is: its name, labels, image, mounts and command line (pure, unit-tested). */

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
export function containerSpec(input: ContainerSpecInput): ContainerCreateSpec {
  const { image, labelValue, node, dist, heap, task, user } = input;
  if (task === 'format' && !input.clusterId) throw new Error('containerSpec: a format task needs a clusterId.');
  const mode = imageMode(image);
  const formatArgs = storageFormatArgs(dist.version, input.clusterId ?? '', node.propertiesPath);
  // The node's folder and anything of it that lives elsewhere, read-write at the same path.
  const nodeDirs = outermost([node.dir, path.dirname(node.propertiesPath), path.dirname(node.log4jPath), node.dataDir, path.dirname(node.logFile)]);
  const binds = nodeDirs.map((d) => `${d}:${d}:rw`);
  // A broker's class listener keystore (LAB_KAFKA_TLS), at the same path server.properties names.
  if (node.classTlsKeystore) binds.push(`${node.classTlsKeystore}:${node.classTlsKeystore}:ro`);

  let entrypoint: string[];
  let cmd: string[];
  const env = [`KAFKA_LAB_NODE_ID=${node.id}`];
  const tmpfs: Record<string, string> = {};
  if (mode === 'host-runtime') {
    const javaArgs = kafkaJvmArgs({
      kafkaVersion: dist.version,
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
    // The image's own scripts, given the same heap and logging file the process driver uses.
    entrypoint = [`${KAFKA_HOME_IN_IMAGE}/bin/${task === 'run' ? 'kafka-server-start.sh' : 'kafka-storage.sh'}`];
    cmd = task === 'run' ? [node.propertiesPath] : formatArgs;
    env.push(`KAFKA_HEAP_OPTS=-Xmx${heap} -Xms64m`, `KAFKA_LOG4J_OPTS=${logConfigOption(dist.version, node.log4jPath)}`, `LOG_DIR=${node.dir}`);
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

/** What to do when the image is not on this machine (kafka-lab never pulls). */
export function missingImage(image: string): string {
  if (imageMode(image) === 'host-runtime') {
    return `The image ${image} is not on this machine. It is an empty image made locally: run test/support/podman-service.sh (as root), or "podman import" an empty tar as ${image}.`;
  }
  return `The Docker image ${image} is not on this machine, and kafka-lab never pulls by itself. Get it with "docker pull ${image}" (or set LAB_DOCKER_IMAGE to an image you have).`;
}
