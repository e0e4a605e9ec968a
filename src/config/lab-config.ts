import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_KAFKA_VERSION, versionProblem } from '../cluster/distribution/kafka-version';

export type DriverName = 'process' | 'docker' | 'external';
export const DRIVER_NAMES: readonly DriverName[] = ['process', 'docker', 'external'];

/** How much the service logs: `info` is one line per stage of the start and what goes wrong; `debug` adds Nest's route mapping and more. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
/** `text` for a person at a terminal; `json` (one object per line) for log collectors. */
export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** Everything the service reads from the environment, validated once at boot. */
export interface LabConfig {
  port: number;
  host: string;
  dataDir: string;
  instructorToken: string | undefined;
  driver: DriverName;
  autostart: boolean;
  brokers: number;
  controllers: 1 | 3;
  kafkaPortBase: number;
  /** The Kafka release to fetch and run (3.9.x or any 4.x); KAFKA_HOME's own jars win when set. */
  kafkaVersion: string;
  kafkaHome: string | undefined;
  /** Where fetched Kafka jars are cached, shared by every data dir on the machine. */
  kafkaCacheDir: string;
  /** Heap of each Kafka JVM, e.g. "384m": four or more JVMs must fit on a 2-core machine. */
  kafkaHeap: string;
  /** How long a start/stop of the cluster or a node may take before the request answers 504-free with a clear error. */
  nodeTimeoutMs: number;
  /** How often the metadata watcher polls leaders and ISRs. */
  watchIntervalMs: number;
  /** Session timeout of the consumers the service runs (a killed consumer is noticed after this). */
  consumerSessionTimeoutMs: number;
  /** How long a produce request may take before it answers 503. */
  produceTimeoutMs: number;
  /** external driver: the cluster to use. */
  externalBootstrap: string[];
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** GET /metrics answers without a token (for a Prometheus that holds none); otherwise the instructor's token. */
  metricsPublic: boolean;
  /**
   * The class listener for students' own Kafka clients (SASL/SCRAM, ACLs, optional TLS); null unless
   * LAB_KAFKA_PUBLIC_HOST is set. `publicHost` is what brokers advertise on it; `bindHost` where it listens.
   */
  classListener: ClassListenerConfig | null;
  /** docker driver only. */
  docker: { socketPath: string | undefined; host: string | undefined; image: string; network: 'host' };
}

export interface ClassListenerConfig {
  publicHost: string;
  bindHost: string;
  tls: boolean;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, but it is "${raw}".`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, but it is ${n}.`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, but it is "${raw}".`);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = raw.trim().toLowerCase();
  if (!values.includes(v as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, but it is "${raw}".`);
  return v as T;
}

export function loadConfig(env: Env = process.env): LabConfig {
  const driverRaw = (env.LAB_DRIVER ?? 'process').trim();
  if (!DRIVER_NAMES.includes(driverRaw as DriverName)) {
    throw new ConfigError(`LAB_DRIVER must be one of ${DRIVER_NAMES.join(', ')}, but it is "${driverRaw}".`);
  }
  const driver = driverRaw as DriverName;
  const controllers = int(env, 'LAB_CONTROLLERS', 1, 1, 3);
  if (controllers !== 1 && controllers !== 3) {
    throw new ConfigError(`LAB_CONTROLLERS must be 1 or 3, but it is ${controllers}.`);
  }
  const token = env.LAB_INSTRUCTOR_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 8) {
    throw new ConfigError('LAB_INSTRUCTOR_TOKEN must be at least 8 characters long.');
  }
  const kafkaVersion = (env.KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION);
  // The shape and the range here; whether the release exists is known when it is fetched.
  const versionWrong = versionProblem(kafkaVersion);
  if (versionWrong) throw new ConfigError(versionWrong);
  const heap = (env.LAB_KAFKA_HEAP ?? '384m').trim();
  if (!/^\d+[mMgG]$/.test(heap)) throw new ConfigError(`LAB_KAFKA_HEAP must look like 384m or 1g, but it is "${heap}".`);

  let externalBootstrap: string[] = [];
  if (driver === 'external') {
    const raw = env.LAB_BOOTSTRAP_SERVERS?.trim();
    if (!raw) throw new ConfigError('LAB_DRIVER=external needs LAB_BOOTSTRAP_SERVERS, e.g. "127.0.0.1:9092".');
    externalBootstrap = raw.split(',').map((s) => s.trim()).filter(Boolean);
    for (const hp of externalBootstrap) {
      if (!/^[^:\s]+:\d+$/.test(hp)) throw new ConfigError(`LAB_BOOTSTRAP_SERVERS has "${hp}", which is not host:port.`);
    }
  }
  const kafkaHome = env.KAFKA_HOME?.trim() || undefined;
  const cacheDefault = path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kafka-lab');

  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: (env.LAB_HOST ?? '0.0.0.0').trim(),
    dataDir: path.resolve(env.LAB_DATA_DIR?.trim() || './.lab-data'),
    instructorToken: token,
    driver,
    autostart: bool(env, 'LAB_AUTOSTART', true),
    brokers: int(env, 'LAB_BROKERS', 3, 1, 9),
    controllers,
    kafkaPortBase: int(env, 'LAB_KAFKA_PORT_BASE', 9092, 1024, 65535 - 40),
    kafkaVersion,
    kafkaHome,
    kafkaCacheDir: path.resolve(env.LAB_KAFKA_CACHE?.trim() || cacheDefault),
    kafkaHeap: heap,
    nodeTimeoutMs: int(env, 'LAB_NODE_TIMEOUT_MS', 120_000, 5_000, 600_000),
    watchIntervalMs: int(env, 'LAB_WATCH_INTERVAL_MS', 500, 100, 10_000),
    consumerSessionTimeoutMs: int(env, 'LAB_CONSUMER_SESSION_TIMEOUT_MS', 10_000, 3_000, 300_000),
    produceTimeoutMs: int(env, 'LAB_PRODUCE_TIMEOUT_MS', 10_000, 1_000, 120_000),
    externalBootstrap,
    logLevel: oneOf(env, 'LAB_LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LAB_LOG_FORMAT', LOG_FORMATS, 'text'),
    metricsPublic: bool(env, 'LAB_METRICS_PUBLIC', false),
    classListener: classListener(env, driver),
    docker: {
      socketPath: env.LAB_DOCKER_SOCKET?.trim() || undefined,
      host: env.DOCKER_HOST?.trim() || undefined,
      // The official image of the same release, so both drivers run the Kafka KAFKA_VERSION names.
      image: (env.LAB_DOCKER_IMAGE?.trim() || `apache/kafka:${kafkaVersion}`),
      network: 'host',
    },
  };
}

/**
 * LAB_KAFKA_PUBLIC_HOST: the name or address students reach this machine by; brokers advertise it on
 * the class listener. A loopback host keeps the listener on loopback (a class of one machine, and the
 * tests); any other listens on every interface. LAB_KAFKA_TLS needs a host to put in the certificate.
 */
function classListener(env: Env, driver: DriverName): ClassListenerConfig | null {
  const publicHost = env.LAB_KAFKA_PUBLIC_HOST?.trim();
  const tls = bool(env, 'LAB_KAFKA_TLS', false);
  if (!publicHost) {
    if (tls) throw new ConfigError('LAB_KAFKA_TLS=true needs LAB_KAFKA_PUBLIC_HOST (the name or address students reach this server by), which the certificate is made for.');
    return null;
  }
  if (driver === 'external') {
    // The lab writes no server.properties for a cluster it does not run: it cannot add a listener there.
    throw new ConfigError('LAB_KAFKA_PUBLIC_HOST needs a cluster the lab runs (LAB_DRIVER=process or docker); an external cluster\'s listeners and users are its own.');
  }
  const host = publicHost.startsWith('[') && publicHost.endsWith(']') ? publicHost.slice(1, -1) : publicHost;
  const kind = hostKind(host);
  if (!kind) {
    throw new ConfigError(`LAB_KAFKA_PUBLIC_HOST must be a host name or an IP address students reach this server by (no port, no scheme), but it is "${publicHost}".`);
  }
  return { publicHost: host.toLowerCase(), bindHost: classBindHost(host, kind), tls };
}

function hostKind(host: string): 'ipv4' | 'ipv6' | 'name' | null {
  const v = net.isIP(host);
  if (v === 4) return 'ipv4';
  if (v === 6) return 'ipv6';
  // RFC 1123 names: labels of letters, digits and inner hyphens; not all digits (that is a bad IP).
  const label = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
  if (host.length > 253 || /^[\d.]+$/.test(host)) return null;
  return host.split('.').every((l) => label.test(l)) ? 'name' : null;
}

/** Loopback stays on loopback (::1 on ::1, which 127.0.0.1 would not answer); an IPv6 host binds "::". */
function classBindHost(host: string, kind: 'ipv4' | 'ipv6' | 'name'): string {
  if (kind === 'ipv6') return host === '::1' ? '::1' : '::';
  if ((kind === 'ipv4' && host.startsWith('127.')) || host.toLowerCase() === 'localhost') return '127.0.0.1';
  return '0.0.0.0';
}

/** Ports are derived from one base so two servers with bases 40 apart never collide. */
export const PORT_LAYOUT = {
  /** broker id i listens for clients on base + i */
  brokerOffset: 0,
  maxBrokers: 20,
  /** controller 100 + j listens on base + 20 + j */
  controllerOffset: 20,
  /** broker id i listens for the class (students' own clients, SASL/SCRAM) on base + 30 + i; brokers are at most 9 */
  classListenerOffset: 30,
  span: 40,
} as const;

export const LAB_CONFIG = Symbol('LAB_CONFIG');
