import { CLASS_SASL_MECHANISM, CLASS_SUPER_USERS } from '../class/kafka-users';
import { PORT_LAYOUT } from '../config/lab-config';
import type { NodeRole } from './cluster.types';
import { formatFeatures, parseKafkaVersion, usesLog4j2 } from './distribution/kafka-version';

export const FIRST_CONTROLLER_ID = 100;

export interface ClusterShape {
  brokers: number;
  controllers: number;
}

export interface NodeAddress {
  id: number;
  role: NodeRole;
  host: string;
  port: number;
}

/** Brokers are 0..N-1 on base+i; controllers 100.. on base+20+j. */
export function brokerAddress(base: number, id: number, host = '127.0.0.1'): NodeAddress {
  if (id < 0 || id >= PORT_LAYOUT.maxBrokers) throw new RangeError(`broker id ${id} is outside 0..${PORT_LAYOUT.maxBrokers - 1}`);
  return { id, role: 'broker', host, port: base + PORT_LAYOUT.brokerOffset + id };
}

export function controllerAddress(base: number, index: number, host = '127.0.0.1'): NodeAddress {
  return { id: FIRST_CONTROLLER_ID + index, role: 'controller', host, port: base + PORT_LAYOUT.controllerOffset + index };
}

/** Broker id i listens for the class (students' own clients) on base+30+i, within the server's 40-port block. */
export function classListenerPort(base: number, id: number): number {
  const room = PORT_LAYOUT.span - PORT_LAYOUT.classListenerOffset;
  if (id < 0 || id >= room) throw new RangeError(`broker id ${id} has no class listener port (brokers 0..${room - 1} have one)`);
  return base + PORT_LAYOUT.classListenerOffset + id;
}

export function quorumVoters(base: number, controllers: number, host = '127.0.0.1'): string {
  return Array.from({ length: controllers }, (_, j) => controllerAddress(base, j, host))
    .map((c) => `${c.id}@${c.host}:${c.port}`)
    .join(',');
}

// ---- the lab's group settings on Kafka 4 (named: the consumers module and the labs rely on them) ----

/** KIP-848 consumer-protocol groups: a member that stops heartbeating leaves after this (broker default 45 s). */
export const CONSUMER_PROTOCOL_SESSION_MS = 6000;
/** How often a consumer-protocol member heartbeats; each reconciliation step rides on a heartbeat. */
export const CONSUMER_PROTOCOL_HEARTBEAT_MS = 1000;
/** Share groups: the same session and heartbeat as consumer-protocol groups. */
export const SHARE_SESSION_MS = CONSUMER_PROTOCOL_SESSION_MS;
export const SHARE_HEARTBEAT_MS = CONSUMER_PROTOCOL_HEARTBEAT_MS;
/** How long a share member holds a record it was given before it goes to another (broker default 30 s). */
export const SHARE_RECORD_LOCK_MS = 5000;
/** Deliveries of one record before the share group archives it (broker default 5; Kafka accepts 2..10). */
export const SHARE_DELIVERY_LIMIT = 3;

/** The lowest values the broker lets groups ask for (its minimums are above the lab's values otherwise). */
const GROUP_MINIMUMS = { sessionMs: 3000, heartbeatMs: 500, recordLockMs: 1000 } as const;

export interface PropertiesInput {
  node: NodeAddress;
  /** The shape the cluster was started with; decides replication of internal topics. */
  shape: ClusterShape;
  portBase: number;
  /** Kafka's log.dirs for this node. */
  dataDir: string;
  /** The Kafka release that will read the file: 4.x gets the group protocols' settings, 3.9 its file as before. */
  kafkaVersion: string;
  /** The class listener for students' own clients; null or absent: the file is exactly as without it. */
  classListener?: ClassListenerInput | null;
}

/** What a node's file needs of the class listener (config.classListener plus the TLS keystore's path). */
export interface ClassListenerInput {
  /** What brokers advertise on it: the name or address students reach the server by. */
  publicHost: string;
  /** Where it listens: 127.0.0.1 (or ::1) for a loopback public host, else every interface. */
  bindHost: string;
  /** A PEM file with the broker's private key and certificate chain when the listener has TLS; else null. */
  tlsKeystorePath: string | null;
}

export const CLASS_LISTENER_NAME = 'CLASS';
/** A student removed from the class is signed out of open connections at their next re-authentication. */
export const CLASS_REAUTH_MS = 60_000;

/**
 * Kafka's server.properties for one KRaft node, for every driver. Lab-friendly: rebalances start at
 * once, internal topics are as replicated as the cluster allows, preferred leaders come back quickly,
 * and a killed broker is fenced within a few seconds so students see failover without long waits.
 */
export function renderServerProperties(input: PropertiesInput): string {
  const { node, shape, portBase, dataDir } = input;
  const voters = quorumVoters(portBase, shape.controllers, node.host);
  const internalRf = Math.max(1, Math.min(3, shape.brokers));
  const kafka4 = (parseKafkaVersion(input.kafkaVersion)?.major ?? 0) >= 4;
  const topicDefaults: Array<[string, number]> = [['num.partitions', 3], ['default.replication.factor', internalRf]];
  const p: Array<[string, string | number | boolean]> = [
    ['process.roles', node.role],
    ['node.id', node.id],
    ['controller.quorum.voters', voters],
    ['controller.listener.names', 'CONTROLLER'],
  ];
  if (node.role === 'broker') {
    p.push(
      ...brokerListeners(node, portBase, input.classListener ?? null),
      // Kafka 4 takes a new topic's defaults from the controller (below) and warns when a broker has them.
      ...(kafka4 ? [] : topicDefaults),
      ['min.insync.replicas', 1],
      ['offsets.topic.replication.factor', internalRf],
      ['offsets.topic.num.partitions', 10],
      ['transaction.state.log.replication.factor', internalRf],
      ['transaction.state.log.min.isr', Math.min(2, internalRf)],
      ['auto.create.topics.enable', false],
      ['delete.topic.enable', true],
      ['group.initial.rebalance.delay.ms', 0],
      // Lets the lab choose short consumer session timeouts so a killed consumer is noticed in seconds.
      ['group.min.session.timeout.ms', 3000],
      ['auto.leader.rebalance.enable', true],
      ['leader.imbalance.check.interval.seconds', 10],
      ['leader.imbalance.per.broker.percentage', 0],
      // A follower that stops fetching leaves the ISR after this long (default 30 s is long for a class).
      ['replica.lag.time.max.ms', 10000],
      ['unclean.leader.election.enable', false],
      ['num.network.threads', 2],
      ['num.io.threads', 4],
      ['num.replica.fetchers', 1],
      ['background.threads', 4],
      ['log.segment.bytes', 16 * 1024 * 1024],
      ['log.retention.check.interval.ms', 60000],
      ['controlled.shutdown.enable', true],
    );
    if (kafka4) p.push(...groupProtocolSettings(internalRf));
    if (input.classListener) p.push(...classListenerSettings(input.classListener));
  } else {
    p.push(
      ['listeners', `CONTROLLER://${node.host}:${node.port}`],
      ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT'],
    );
    // In KRaft the controller decides a new topic's defaults; Kafka 4 wants them there only.
    if (kafka4) p.push(...topicDefaults);
    // The controllers answer ACL changes (CreateAcls/DeleteAcls are forwarded to them) with the same rules.
    if (input.classListener) p.push(...authorizerSettings());
  }
  p.push(
    ['log.dirs', dataDir],
    // A killed broker is fenced after this; the default 9 s is kept short but safe on a busy 2-core box.
    ['broker.session.timeout.ms', 6000],
    ['broker.heartbeat.interval.ms', 1000],
  );
  return (
    `# Generated by kafka-lab for ${node.role} ${node.id}; edits are overwritten at the next start.\n` +
    p.map(([k, v]) => `${k}=${v}`).join('\n') +
    '\n'
  );
}

// ---- the class listener: students' own clients, SASL/SCRAM, Kafka's own authorizer ----

/** host:port as a listener URL or a client's bootstrap list wants it (an IPv6 address in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The loopback PLAINTEXT listener (the server's own clients and inter-broker traffic) and, when on,
 * the CLASS listener on the broker's class port: SASL_PLAINTEXT, or SASL_SSL with TLS.
 */
function brokerListeners(node: NodeAddress, portBase: number, cls: ClassListenerInput | null): Array<[string, string]> {
  const plain = `PLAINTEXT://${hostPort(node.host, node.port)}`;
  if (!cls) {
    return [
      ['listeners', plain],
      ['advertised.listeners', plain],
      ['inter.broker.listener.name', 'PLAINTEXT'],
      ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'],
    ];
  }
  const port = classListenerPort(portBase, node.id);
  const security = cls.tlsKeystorePath ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  return [
    ['listeners', `${plain},${CLASS_LISTENER_NAME}://${hostPort(cls.bindHost, port)}`],
    ['advertised.listeners', `${plain},${CLASS_LISTENER_NAME}://${hostPort(cls.publicHost, port)}`],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['listener.security.protocol.map', `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,${CLASS_LISTENER_NAME}:${security}`],
  ];
}

/**
 * Kafka's StandardAuthorizer (KRaft ACLs) with nothing allowed unless an ACL says so. Super users: the
 * server's own clients, which come over the loopback PLAINTEXT listener unauthenticated (User:ANONYMOUS,
 * and that listener binds 127.0.0.1 only), and the instructor.
 */
function authorizerSettings(): Array<[string, string | boolean]> {
  return [
    ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
    ['super.users', CLASS_SUPER_USERS.join(';')],
    ['allow.everyone.if.no.acl.found', false],
  ];
}

/** SCRAM-SHA-512 on the CLASS listener only, re-authenticated every minute; its PEM keystore with TLS. */
function classListenerSettings(cls: ClassListenerInput): Array<[string, string | number | boolean]> {
  const on = `listener.name.${CLASS_LISTENER_NAME.toLowerCase()}`;
  const p: Array<[string, string | number | boolean]> = [
    ...authorizerSettings(),
    [`${on}.sasl.enabled.mechanisms`, CLASS_SASL_MECHANISM],
    [`${on}.${CLASS_SASL_MECHANISM.toLowerCase()}.sasl.jaas.config`, 'org.apache.kafka.common.security.scram.ScramLoginModule required;'],
    [`${on}.connections.max.reauth.ms`, CLASS_REAUTH_MS],
  ];
  if (cls.tlsKeystorePath) {
    p.push(
      [`${on}.ssl.keystore.type`, 'PEM'],
      [`${on}.ssl.keystore.location`, cls.tlsKeystorePath],
      // Students authenticate with SCRAM, not with certificates of their own.
      [`${on}.ssl.client.auth`, 'none'],
    );
  }
  return p;
}

/**
 * Kafka 4's consumer-protocol (KIP-848) and share (KIP-932) groups, lab-sized: short sessions and
 * heartbeats so joins, leaves and kills show within seconds, a short record lock and a low delivery
 * limit so redelivery and archiving show in a lesson, and the share-state topic replicated like the
 * offsets topic (its default RF 3 cannot be met by a smaller cluster).
 */
function groupProtocolSettings(internalRf: number): Array<[string, number]> {
  return [
    ['group.consumer.min.session.timeout.ms', GROUP_MINIMUMS.sessionMs],
    ['group.consumer.session.timeout.ms', CONSUMER_PROTOCOL_SESSION_MS],
    ['group.consumer.min.heartbeat.interval.ms', GROUP_MINIMUMS.heartbeatMs],
    ['group.consumer.heartbeat.interval.ms', CONSUMER_PROTOCOL_HEARTBEAT_MS],
    ['group.share.min.session.timeout.ms', GROUP_MINIMUMS.sessionMs],
    ['group.share.session.timeout.ms', SHARE_SESSION_MS],
    ['group.share.min.heartbeat.interval.ms', GROUP_MINIMUMS.heartbeatMs],
    ['group.share.heartbeat.interval.ms', SHARE_HEARTBEAT_MS],
    ['group.share.min.record.lock.duration.ms', GROUP_MINIMUMS.recordLockMs],
    ['group.share.record.lock.duration.ms', SHARE_RECORD_LOCK_MS],
    ['group.share.delivery.count.limit', SHARE_DELIVERY_LIMIT],
    ['share.coordinator.state.topic.replication.factor', internalRf],
    ['share.coordinator.state.topic.min.isr', Math.min(2, internalRf)],
    ['share.coordinator.state.topic.num.partitions', 10],
  ];
}

/** The node's logging configuration, by the logging library its Kafka uses; `fileName` is where it goes. */
export function renderLogConfig(kafkaVersion: string, logFile: string): { fileName: string; text: string } {
  return usesLog4j2(kafkaVersion)
    ? { fileName: 'log4j2.properties', text: renderLog4j2Properties(logFile) }
    : { fileName: 'log4j.properties', text: renderLog4jProperties(logFile) };
}

/** log4j 1.x (reload4j) configuration: everything to one file per node, INFO, controller/state-change quieter. */
export function renderLog4jProperties(logFile: string): string {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.MaxFileSize=20MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=INFO',
    'log4j.logger.org.apache.kafka.raft=INFO',
    '',
  ].join('\n');
}

/**
 * The same for Kafka 4's log4j2 (properties format, read by log4j-core itself): one file per node, the
 * same line layout as log4j 1 (node-diagnosis.ts reads it), the same quieter loggers.
 */
export function renderLog4j2Properties(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = RollingFile',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    `appender.file.filePattern = ${logFile}.%i`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'appender.file.policies.type = Policies',
    'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
    'appender.file.policies.size.size = 20MB',
    'appender.file.strategy.type = DefaultRolloverStrategy',
    'appender.file.strategy.max = 2',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.statechange.name = state.change.logger',
    'logger.statechange.level = INFO',
    'logger.raft.name = org.apache.kafka.raft',
    'logger.raft.level = INFO',
    '',
  ].join('\n');
}

/** Parses a properties text back into a map (used by tests and by drivers reading a node's config). */
export function parseProperties(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('!')) continue;
    const i = t.indexOf('=');
    if (i > 0) m.set(t.slice(0, i).trim(), t.slice(i + 1).trim());
  }
  return m;
}

/** The JVM option that points the node's Kafka at its logging configuration (log4j2 for 4.x, log4j 1 for 3.9). */
export function logConfigOption(kafkaVersion: string, log4jPath: string): string {
  return usesLog4j2(kafkaVersion) ? `-Dlog4j2.configurationFile=${log4jPath}` : `-Dlog4j.configuration=file:${log4jPath}`;
}

/**
 * The storage tool's arguments that format a node for `clusterId`, with the feature levels the labs need
 * for this release (group.version, share.version; see formatFeatures). The same for every driver.
 */
export function storageFormatArgs(kafkaVersion: string, clusterId: string, propertiesPath: string): string[] {
  const features = formatFeatures(kafkaVersion).flatMap((f) => ['--feature', f]);
  return ['format', `--cluster-id=${clusterId}`, '-c', propertiesPath, '--ignore-formatted', ...features];
}

/** The JVM command line for a node, the same for every driver (the docker driver mounts the same paths). */
export function kafkaJvmArgs(opts: { kafkaVersion: string; libsDir: string; log4jPath: string; logDir: string; heap: string; mainArgs: string[]; main?: string }): string[] {
  return [
    `-Xmx${opts.heap}`,
    '-Xms64m',
    '-XX:+UseSerialGC',
    '-XX:MaxMetaspaceSize=256m',
    '-Djava.awt.headless=true',
    logConfigOption(opts.kafkaVersion, opts.log4jPath),
    `-Dkafka.logs.dir=${opts.logDir}`,
    '-cp',
    `${opts.libsDir}/*`,
    opts.main ?? 'kafka.Kafka',
    ...opts.mainArgs,
  ];
}
