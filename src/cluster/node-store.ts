import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classTlsFiles } from '../class-tls/class-tls';
import { LabErrorCode, notFound } from '../common/lab-error';
import type { LabConfig } from '../config/lab-config';
import type { ClusterState, NodeRole, NodeSpec, NodeState, NodeView } from './cluster.types';
import type { NodeActionName } from './node-actions';
import { ClassListenerInput, ClusterShape, brokerAddress, controllerAddress, renderLogConfig, renderServerProperties } from './server-properties';

export interface NodeRecord {
  id: number;
  role: NodeRole;
  host: string;
  port: number;
  state: NodeState;
  since: string;
  reason?: string;
  /** The node action in progress on it (one at a time per node). */
  pending?: NodeActionName;
  /** It was not launched because something outside Kafka blocks it (a held port, no controller): a 409, not a 503. */
  blocked?: boolean;
  /** The code of the failure that kept it from starting (a driver or a missing Kafka/Java), answered as is. */
  failure?: LabErrorCode;
  /** When its process was launched or resumed (ms): the node deadline counts from here, not from formatting. */
  launchedAt?: number;
  /** Size of its server.log when this run of it started: only lines after it explain a failure. */
  logOffset?: number;
}

/** What survives a restart of the service: the cluster's identity and shape (its data is in the node folders). */
export interface PersistedCluster {
  clusterId: string;
  /** The shape the cluster was created with; internal topics' replication follows it. */
  shape: ClusterShape;
  brokerIds: number[];
  controllers: number;
}

const DEAD: readonly NodeState[] = ['stopped', 'killed', 'crashed'];

/**
 * The nodes' records and states, and the files that describe the cluster on disk: cluster.json (its
 * id and shape) and each node's folder (server.properties, log4j.properties, data, server.log).
 * Every change of a node's state goes through setState, which tells `onChange` (the live view).
 */
export class NodeStore {
  readonly nodesRoot: string;
  private readonly stateFile: string;
  persisted: PersistedCluster | null = null;
  private readonly nodes = new Map<number, NodeRecord>();

  constructor(
    private readonly config: LabConfig,
    private readonly onChange: () => void,
  ) {
    const root = path.join(config.dataDir, 'cluster');
    this.nodesRoot = path.join(root, 'nodes');
    this.stateFile = path.join(root, 'cluster.json');
  }

  /** Creates the folders and reads cluster.json if an earlier run left one. */
  open(): PersistedCluster | null {
    fs.mkdirSync(this.nodesRoot, { recursive: true });
    try {
      this.persisted = JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as PersistedCluster;
    } catch {
      this.persisted = null;
    }
    return this.persisted;
  }

  // ---- records -----------------------------------------------------------------------------------

  get(id: number): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  require(id: number): NodeRecord {
    const n = this.nodes.get(id);
    if (!n) throw notFound(`There is no node ${id} in this cluster (${this.describeIds()}).`);
    return n;
  }

  all(): NodeRecord[] {
    return [...this.nodes.values()].sort((a, b) => a.id - b.id);
  }

  ofRole(role: NodeRole): NodeRecord[] {
    return this.all().filter((n) => n.role === role);
  }

  setState(nOrId: NodeRecord | number, state: NodeState, reason?: string): void {
    const n = typeof nOrId === 'number' ? this.nodes.get(nOrId) : nOrId;
    if (!n || (n.state === state && n.reason === reason)) return;
    if (n.state !== state) {
      n.since = new Date().toISOString();
      n.blocked = undefined;
      n.failure = undefined;
    }
    n.state = state;
    n.reason = reason;
    this.onChange();
  }

  setPending(n: NodeRecord, op: NodeActionName | undefined): void {
    if (n.pending === op) return;
    n.pending = op;
    this.onChange();
  }

  /** The nodes as an observing driver (external) sees them now: replaces every record. */
  replace(nodes: NodeView[]): void {
    this.nodes.clear();
    for (const n of nodes) this.nodes.set(n.id, { ...n });
    this.onChange();
  }

  view(n: NodeRecord): NodeView {
    const v: NodeView = { id: n.id, role: n.role, state: n.state, host: n.host, port: n.port, since: n.since };
    if (n.reason) v.reason = n.reason;
    if (n.pending) v.pending = n.pending;
    return v;
  }

  /** `busy` is the whole-cluster operation in progress, which the cluster's state shows first. */
  clusterState(busy: 'starting' | 'stopping' | null): ClusterState {
    if (busy) return busy;
    const all = this.all();
    if (all.length === 0 || all.every((n) => DEAD.includes(n.state))) return 'stopped';
    return all.every((n) => n.state === 'running') ? 'running' : 'degraded';
  }

  describeIds(): string {
    const b = this.ofRole('broker').map((n) => n.id);
    const c = this.ofRole('controller').map((n) => n.id);
    if (!b.length && !c.length) return 'it has no nodes yet';
    return `brokers ${b.join(', ') || 'none'}; controller${c.length > 1 ? 's' : ''} ${c.join(', ')}`;
  }

  // ---- the cluster's shape on disk ---------------------------------------------------------------

  /** Adds a record (stopped) for every node of the shape that has none yet. */
  load(p: PersistedCluster): void {
    const now = new Date().toISOString();
    const add = (a: { id: number; role: NodeRole; host: string; port: number }) => {
      if (!this.nodes.has(a.id)) this.nodes.set(a.id, { ...a, state: 'stopped', since: now });
    };
    for (let j = 0; j < p.controllers; j++) add(controllerAddress(this.config.kafkaPortBase, j));
    for (const id of p.brokerIds) add(brokerAddress(this.config.kafkaPortBase, id));
  }

  /** A new cluster (fresh id) of `shape`, written to cluster.json; the node records follow it. */
  create(shape: ClusterShape): PersistedCluster {
    this.persisted = {
      clusterId: kafkaClusterId(),
      shape,
      brokerIds: Array.from({ length: shape.brokers }, (_, i) => i),
      controllers: shape.controllers,
    };
    this.write();
    this.load(this.persisted);
    return this.persisted;
  }

  /** Records one more broker (the next id) and returns its record, stopped. */
  addBroker(): NodeRecord {
    const p = this.persisted!;
    const id = Math.max(-1, ...p.brokerIds) + 1;
    p.brokerIds.push(id);
    this.write();
    this.load(p);
    return this.nodes.get(id)!;
  }

  /** Forgets every node and deletes their folders (reset). */
  wipe(): void {
    fs.rmSync(this.nodesRoot, { recursive: true, force: true });
    fs.mkdirSync(this.nodesRoot, { recursive: true });
    this.nodes.clear();
  }

  nodeDir(id: number): string {
    return path.join(this.nodesRoot, String(id));
  }

  /** Kafka's log.dirs of the node. */
  dataDir(id: number): string {
    return path.join(this.nodeDir(id), 'data');
  }

  logFile(id: number): string {
    return path.join(this.nodeDir(id), 'server.log');
  }

  /**
   * Writes the node's server.properties and logging configuration for the Kafka release that will run
   * it (every start: edits are overwritten; log4j.properties for 3.9, log4j2.properties for 4.x).
   */
  writeNodeFiles(n: NodeRecord, kafkaVersion: string): NodeSpec {
    const dir = this.nodeDir(n.id);
    const logConfig = renderLogConfig(kafkaVersion, this.logFile(n.id));
    const spec: NodeSpec = {
      id: n.id, role: n.role, host: n.host, port: n.port, dir,
      propertiesPath: path.join(dir, 'server.properties'),
      log4jPath: path.join(dir, logConfig.fileName),
      dataDir: this.dataDir(n.id),
      logFile: this.logFile(n.id),
      ...(this.config.classListener?.tls && n.role === 'broker' ? { classTlsKeystore: classTlsFiles(this.config.dataDir).keystore } : {}),
    };
    fs.mkdirSync(spec.dataDir, { recursive: true });
    fs.writeFileSync(spec.propertiesPath, renderServerProperties({
      node: { id: n.id, role: n.role, host: n.host, port: n.port }, shape: this.persisted!.shape, portBase: this.config.kafkaPortBase, dataDir: spec.dataDir, kafkaVersion,
      classListener: this.classListener(),
    }));
    fs.writeFileSync(spec.log4jPath, logConfig.text);
    return spec;
  }

  /** The class listener's part of every node's file, from the config (null: off, files as before). */
  private classListener(): ClassListenerInput | null {
    const cls = this.config.classListener;
    if (!cls) return null;
    return { publicHost: cls.publicHost, bindHost: cls.bindHost, tlsKeystorePath: cls.tls ? classTlsFiles(this.config.dataDir).keystore : null };
  }

  private write(): void {
    fs.writeFileSync(this.stateFile, JSON.stringify(this.persisted, null, 2));
  }
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
