import type { DriverName } from '../../config/lab-config';
import type { LiveBroker } from '../../kafka/cluster-link';
import type { KafkaDistribution, NodeExit, NodeSpec, NodeView } from '../cluster.types';

/** A node event an observer saw happen, for the timeline (the cluster service publishes it). */
export type ObservedNodeEvent = {
  type: 'node.started' | 'node.crashed';
  actor: 'kafka';
  nodeId: number;
  role: 'broker';
  /** A sentence: why the observer thinks so. */
  reason: string;
};

export interface Observation {
  /** True when nodes() says something else than before. */
  changed: boolean;
  events: ObservedNodeEvent[];
}

/** The part of a driver that observes a cluster it does not run (external): its nodes are what the cluster reports. */
export interface ClusterObserver {
  bootstrapServers(): string[];
  nodes(): NodeView[];
  /** The cluster's own id, once it answered. */
  clusterId(): string | null;
  /** The live brokers of a metadata snapshot (and the cluster id it reports), or null when no broker answered. */
  observe(live: LiveBroker[] | null, clusterId?: string | null): Observation;
}

/**
 * How a node RUNS (process, container, or not at all); never how it is configured: every driver gets
 * the same NodeSpec and the same generated server.properties (see ../server-properties.ts).
 */
export interface ClusterDriver {
  readonly name: DriverName;
  /** True when the driver can start and stop nodes (false for `external`). */
  readonly controlsLifecycle: boolean;
  /** Only drivers that observe a cluster instead of running it: its nodes and bootstrap list come from here. */
  readonly observer?: ClusterObserver;
  /** Kill whatever a previous run of the service with this data dir left running. Returns how many. */
  sweepOrphans(): Promise<number>;
  /** Format a node's storage for the cluster id, once (a no-op when already formatted). */
  format(dist: KafkaDistribution, node: NodeSpec, clusterId: string): Promise<void>;
  /** Launch the node; resolves once the process/container runs (readiness is the caller's wait). */
  start(dist: KafkaDistribution, node: NodeSpec): Promise<void>;
  /** Controlled shutdown: SIGTERM (docker stop), then SIGKILL after timeoutMs. Resolves when gone. */
  stop(id: number, timeoutMs: number): Promise<void>;
  /** Abrupt: SIGKILL (docker kill). Resolves when gone. */
  kill(id: number): Promise<void>;
  pause(id: number): Promise<void>;
  resume(id: number): Promise<void>;
  /** Whether the node's process/container is alive right now (paused counts as alive). */
  isAlive(id: number): boolean;
  /** Called once per node exit, whether asked for (expected) or not (a crash). */
  onExit(listener: (exit: NodeExit) => void): void;
  /** Stop every node this driver started (service shutdown). */
  shutdownAll(timeoutMs: number): Promise<void>;
}

export const CLUSTER_DRIVER = Symbol('CLUSTER_DRIVER');
