import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { LabError } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import type { KafkaDistribution } from '../cluster/cluster.types';
import { BOOTSTRAP_SOURCE, BootstrapSource } from '../kafka/cluster-link';
import { SHARE_RECORD_LOCK_MS } from '../cluster/server-properties';
import type { ClientHost, HostedGroupDescription, HostedGroupListing, HostedMember, HostedMemberEvents, HostedMemberSpec } from './client-host.types';
import { HOST_MAIN_CLASS, compileHost } from './host-compiler';
import { RemoteMember } from './hosted-member';
import { HostCommand, HostJvm, dataDirMarker, sweepHostOrphan } from './jvm-process';
import { HostGone, HostEvent, HostRefusal } from './line-protocol';

/** Finds Kafka's jars and java (the cluster's own look-up, memoized by the module). */
export type DistributionSource = () => Promise<KafkaDistribution>;
export const HOST_DISTRIBUTION = Symbol('HOST_DISTRIBUTION');

/** How the service builds the host's command line; tests swap in a fake host. */
export type HostLauncher = (dist: KafkaDistribution, config: LabConfig) => Promise<HostCommand>;
export const HOST_LAUNCHER = Symbol('HOST_LAUNCHER');

const READY_TIMEOUT_MS = 60_000;
export const START_TIMEOUT_MS = 45_000;
const ADMIN_TIMEOUT_MS = 30_000;
/** At shutdown: members leave within this, then the JVM gets this much again to end. */
const SHUTDOWN_LEAVE_MS = 5_000;
/**
 * A vanished member stays cut off this long before the host closes its client: past any group session
 * timeout (the brokers' default is 45 s; the lab's are shorter), so the group has fenced it by then.
 */
const FREE_AFTER_MS = 60_000;

/** The JVM's command line: the compiled host on the distribution's java, tied to the data dir. */
export const javaHostLauncher: HostLauncher = async (dist, config) => {
  const compiled = await compileHost(dist, config.kafkaCacheDir);
  return {
    command: dist.javaBin,
    args: [
      dataDirMarker(config.dataDir),
      // Small and calm on a 2-core machine next to the brokers: serial GC, C1 only, a modest heap.
      '-Xms32m', '-Xmx768m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k',
      '-Djava.awt.headless=true',
      // A vanish cuts the member's sockets (kafkalab.host.Cutter wraps Java's own SelectorProvider).
      '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
      '-Djava.nio.channels.spi.SelectorProvider=kafkalab.host.Cutter',
      ...compiled.logOptions,
      '-cp', compiled.classPath,
      HOST_MAIN_CLASS,
    ],
  };
};

/**
 * The client host: ONE JVM of Kafka's Java clients, started on the first member or group description
 * and supervised: when it dies, every member it ran reports `crashed` with why, and the next start
 * launches a new one. At shutdown the members leave within a deadline, then the JVM ends.
 */
@Injectable()
export class ClientHostService implements ClientHost, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('ClientHost');
  private jvm: HostJvm | null = null;
  private starting: Promise<HostJvm> | null = null;
  private readonly members = new Map<string, RemoteMember>();
  private closing = false;
  /** How long the host may take to answer a member's start (a field so a test can shorten it). */
  startTimeoutMs = START_TIMEOUT_MS;

  constructor(
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    @Inject(BOOTSTRAP_SOURCE) private readonly bootstrap: BootstrapSource,
    @Inject(HOST_DISTRIBUTION) private readonly distribution: DistributionSource,
    @Inject(HOST_LAUNCHER) private readonly launcher: HostLauncher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const swept = await sweepHostOrphan(this.config.dataDir);
    if (swept) this.log.warn(`Stopped the client host JVM (pid ${swept}) left running by an earlier run of the service.`);
  }

  pid(): number | null {
    return this.jvm?.pid ?? null;
  }

  async startMember(spec: HostedMemberSpec, events: HostedMemberEvents): Promise<HostedMember> {
    if (this.members.has(spec.consumerId)) throw new LabError('CONFLICT', `Consumer ${spec.consumerId} already runs in the client host.`);
    const bootstrap = this.bootstrapServers();
    const jvm = await this.ensureJvm();
    const member = new RemoteMember(spec, events, () => (this.jvm === jvm ? jvm.protocol : null), () => this.members.delete(spec.consumerId), FREE_AFTER_MS);
    // Registered before the start: the member's first events may come right behind its answer.
    this.members.set(spec.consumerId, member);
    try {
      await jvm.protocol.request('start', {
        member: spec.consumerId,
        protocol: spec.protocol,
        groupId: spec.groupId,
        topics: spec.topics,
        clientId: spec.clientId,
        fromBeginning: spec.fromBeginning,
        ack: spec.ack,
        bootstrap,
        // The client learns the broker's record lock itself on Kafka 4.2+; this is for older 4.x.
        lockMs: SHARE_RECORD_LOCK_MS,
      }, this.startTimeoutMs);
    } catch (e) {
      this.members.delete(spec.consumerId);
      // Unanswered in time, the start may still complete in the host: the member must not run on there
      // unseen (reading records, holding share locks), nor block its replacement as a duplicate.
      if (e instanceof HostGone && this.jvm === jvm && jvm.pid) {
        jvm.protocol.request('leave', { member: spec.consumerId, timeoutMs: SHUTDOWN_LEAVE_MS }, 2 * SHUTDOWN_LEAVE_MS).catch(() => undefined);
      }
      throw asLabError(e, `Consumer ${spec.consumerId} could not start in the client host`);
    }
    member.started = true;
    return member;
  }

  async describeGroup(groupId: string): Promise<HostedGroupDescription | null> {
    const bootstrap = this.bootstrapServers();
    const jvm = await this.ensureJvm();
    try {
      const a = await jvm.protocol.request<{ group: HostedGroupDescription | null }>('describeGroup', { groupId, bootstrap }, ADMIN_TIMEOUT_MS);
      return a.group;
    } catch (e) {
      throw asLabError(e, `Group ${groupId} could not be described`);
    }
  }

  async listGroups(): Promise<HostedGroupListing[]> {
    const jvm = this.jvm;
    if (!jvm?.pid) return [];
    try {
      const a = await jvm.protocol.request<{ groups: HostedGroupListing[] }>('listGroups', { bootstrap: this.bootstrapServers() }, ADMIN_TIMEOUT_MS);
      return a.groups;
    } catch (e) {
      throw asLabError(e, 'The groups could not be listed');
    }
  }

  /** Members leave within a deadline, then the JVM ends (before the cluster stops its brokers). */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const jvm = this.jvm ?? (await this.starting?.catch(() => null)) ?? null;
    if (!jvm) return;
    const members = [...this.members.values()];
    if (members.length) this.log.log(`${members.length} hosted member(s) leave their groups...`);
    await Promise.all(members.map((m) => m.leave(SHUTDOWN_LEAVE_MS)));
    await jvm.stop(SHUTDOWN_LEAVE_MS);
  }

  private bootstrapServers(): string {
    const servers = this.bootstrap.bootstrapServers();
    if (!servers.length) throw new LabError('CLUSTER_NOT_RUNNING', 'The cluster has no broker to connect to: start the cluster first.');
    return servers.join(',');
  }

  private ensureJvm(): Promise<HostJvm> {
    if (this.closing) return Promise.reject(new LabError('WRONG_STATE', 'The lab server is shutting down: no new consumers start.'));
    if (this.jvm?.pid) return Promise.resolve(this.jvm);
    if (!this.starting) {
      this.starting = this.launch().finally(() => (this.starting = null));
    }
    return this.starting;
  }

  private async launch(): Promise<HostJvm> {
    const dist = await this.distribution();
    const cmd = await this.launcher(dist, this.config);
    const jvm: HostJvm = new HostJvm(cmd, this.config.dataDir, (e) => this.onEvent(jvm, e), (reason, expected) => this.onExit(jvm, reason, expected));
    try {
      await jvm.start(READY_TIMEOUT_MS);
    } catch (e) {
      throw new LabError('DRIVER_FAILED', `The client host could not start: ${(e as Error).message}`);
    }
    if (this.closing) {
      await jvm.stop(SHUTDOWN_LEAVE_MS);
      throw new LabError('WRONG_STATE', 'The lab server is shutting down: no new consumers start.');
    }
    this.jvm = jvm;
    this.log.log(`Client host JVM started (pid ${jvm.pid}, Kafka ${dist.version} clients).`);
    return jvm;
  }

  private onEvent(jvm: HostJvm, e: HostEvent): void {
    if (jvm !== this.jvm || typeof e.member !== 'string') return;
    this.members.get(e.member)?.deliver(e);
  }

  private onExit(jvm: HostJvm, reason: string, expected: boolean): void {
    if (jvm !== this.jvm) return;
    this.jvm = null;
    if (!expected) this.log.warn(`${reason[0].toUpperCase()}${reason.slice(1)}; its members crashed.`);
    for (const m of [...this.members.values()]) m.crashed(reason);
  }
}

/** A host refusal or loss as a LabError sentence (never a Java stack trace). */
function asLabError(e: unknown, what: string): LabError {
  if (e instanceof LabError) return e;
  if (e instanceof HostRefusal) {
    const code = e.code === 'KAFKA' ? 'KAFKA_UNAVAILABLE' : e.code === 'DUPLICATE' ? 'CONFLICT' : e.code === 'START_FAILED' ? 'KAFKA_UNAVAILABLE' : 'WRONG_STATE';
    return new LabError(code, `${what}: ${e.message}`);
  }
  if (e instanceof HostGone) return new LabError('KAFKA_UNAVAILABLE', `${what}: ${e.message}.`);
  return new LabError('KAFKA_UNAVAILABLE', `${what}: ${(e as Error).message}`);
}
