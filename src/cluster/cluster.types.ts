export type NodeRole = 'broker' | 'controller';
/** `unreachable`: external driver only, a broker the cluster no longer lists as live. */
export type NodeState = 'starting' | 'running' | 'stopped' | 'killed' | 'paused' | 'crashed' | 'unreachable';
export type ClusterState = 'stopped' | 'starting' | 'running' | 'degraded' | 'stopping';

/** The API's `Node`. */
export interface NodeView {
  id: number;
  role: NodeRole;
  state: NodeState;
  host: string;
  port: number;
  since: string;
  /** Why the node is in its state, as a sentence, where the service knows more than the state says (crashed, could not start, unreachable). */
  reason?: string;
  /** The lifecycle call in progress on this node, if any (another call on it meanwhile is a 409). */
  pending?: 'start' | 'stop' | 'kill' | 'pause' | 'resume';
}

/** The API's cluster body. */
export interface ClusterView {
  state: ClusterState;
  driver: string;
  kafkaVersion: string;
  clusterId: string | null;
  controllers: NodeView[];
  brokers: NodeView[];
  bootstrapServers: string;
}

/** What a driver needs to run one node; everything else is in the generated server.properties. */
export interface NodeSpec {
  id: number;
  role: NodeRole;
  host: string;
  /** The client port (brokers) or the controller port (controllers). */
  port: number;
  /** This node's folder: server.properties, log4j.properties, data (kafka logs), server.log, pid. */
  dir: string;
  propertiesPath: string;
  log4jPath: string;
  /** Kafka's log.dirs (metadata.log.dir too). */
  dataDir: string;
  /** The file the node's stdout/stderr and log4j output go to. */
  logFile: string;
  /**
   * The class listener's PEM keystore (LAB_KAFKA_TLS), which a broker reads; containers mount this one
   * file read-only, never its folder, which holds the CA's private key.
   */
  classTlsKeystore?: string;
}

/** A located Kafka: the jars to put on the class path and the java to run them with. */
export interface KafkaDistribution {
  version: string;
  /** Folder whose *.jar files make Kafka's class path. */
  libsDir: string;
  javaBin: string;
  /** Where it came from, for the logs: "Maven Central cache at ..." or "KAFKA_HOME ...". */
  origin: string;
}

/** Why a node's process ended. `expected` is false when nobody asked it to end: a crash. */
export interface NodeExit {
  id: number;
  code: number | null;
  signal: string | null;
  expected: boolean;
}
