import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { settleWithin } from '../common/deadline';
import { randomBytes } from 'node:crypto';
import { reservedForStudents, resolveTopic, toClusterName } from '../class/namespace';
import { notFoundSentence } from '../class/present';
import { Principal } from '../class/principal';
import { QuotaService } from '../class/quotas';
import { AuthService, REMOVED_SENTENCE } from '../class/auth.service';
import { AckRequest, CLIENT_HOST, ClientHost, HostedAckResult } from '../client-host/client-host.types';
import { ClusterService } from '../cluster/cluster.service';
// The broker's group.share.delivery.count.limit as the lab configures it: a record given back at it is archived.
import { SHARE_DELIVERY_LIMIT } from '../cluster/server-properties';
import { badInput, conflict, LabError, notFound } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { ClassicConsumer } from '../kafka/classic-consumer';
import { GroupAdmin } from '../kafka/group-admin';
import { KafkaService } from '../kafka/kafka.service';
import { ConsumerDirectory, ConsumerFeed } from '../live/consumer-directory';
import { LabMessage, LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { CLIENT_ID_PREFIX, ConsumerProtocol, ConsumerView, SOLO_GROUP_PREFIX } from './consumer.types';
import { PartitionEnds } from './partition-progress';
import { RING_SIZE, SessionSpec } from './consumer-base';
import { ConsumerSession, SessionDeps } from './consumer-session';
import { CreateConsumerDto } from './dto/create-consumer.dto';
import { HostedSession } from './hosted-session';
import type { LabConsumer } from './lab-consumer';
import { protocolRefusal } from './protocol-support';
import { ShareLedger } from './share-story';

/** How often the watchdog looks for stalled consumers. */
const WATCHDOG_EVERY_MS = 2000;
/** How often, and after how long without reading, partitions with unread messages count as stuck. */
const PROGRESS_EVERY_MS = 5000;
const PROGRESS_THRESHOLD_MS = 20_000;
/** Shutdown: every consumer leaves its group within this, or is cut. */
const SHUTDOWN_DEADLINE_MS = 8000;

/**
 * The consumers the API runs, by our own id. Each one is a LabConsumer: a ConsumerSession (classic,
 * kafkajs) or a HostedSession (consumer and share protocols, in the client-host JVM); this service
 * checks who may do what, validates against the cluster, and supervises (a watchdog for stalled
 * consumers).
 */
@Injectable()
export class ConsumersService implements ConsumerDirectory, OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Consumers');
  private readonly sessions = new Map<string, LabConsumer>();
  /** Per share group (cluster name): why its records come back, shared by its members. */
  private readonly ledgers = new Map<string, ShareLedger>();
  private readonly deps: SessionDeps;
  private watchdog: NodeJS.Timeout | null = null;
  private progressWatchdog: NodeJS.Timeout | null = null;
  private checkingProgress = false;
  private lastProgressTrouble = 0;
  private clusterRunning = false;
  private readonly warmed = new Set<string>();

  constructor(
    private readonly kafka: KafkaService,
    private readonly admin: GroupAdmin,
    timeline: TimelineService,
    private readonly bus: LiveBus,
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    private readonly cluster: ClusterService,
    private readonly quotas: QuotaService,
    private readonly auth: AuthService,
    /** Absent in a server built without the client host: consumer and share members are refused then. */
    @Optional() @Inject(CLIENT_HOST) private readonly host: ClientHost | null = null,
  ) {
    this.deps = {
      members: (options, events) => new ClassicConsumer(kafka, options, events),
      commitOffsets: (who, offsets, timeoutMs) => kafka.commitOffsets(who, offsets, timeoutMs),
      timeline,
      bus,
      sessionTimeoutMs: config.consumerSessionTimeoutMs,
      log: this.log,
    };
  }

  onModuleInit(): void {
    // The first group on a fresh cluster makes Kafka create __consumer_offsets, and a consumer that
    // joins meanwhile is told "coordinator loading". Asking about a group as soon as the cluster runs
    // gets that done before any student's consumer.
    this.bus.on('cluster', (view) => {
      const running = view.state === 'running';
      if (running && !this.clusterRunning) void this.warmCoordinator(view.clusterId);
      this.clusterRunning = running;
    });
    this.watchdog = setInterval(() => this.checkStalls(), WATCHDOG_EVERY_MS);
    this.watchdog.unref();
    this.progressWatchdog = setInterval(() => {
      if (this.checkingProgress) return;
      this.checkingProgress = true;
      this.checkProgress()
        .catch((e) => this.progressTrouble(e)) // e.g. the cluster is down: nothing can be judged then
        .finally(() => (this.checkingProgress = false));
    }, PROGRESS_EVERY_MS);
    this.progressWatchdog.unref();
  }

  /** A consumer stuck without fetches or heartbeats this long is recreated (KAFKAJS-NOTES: stalls). */
  get stallThresholdMs(): number {
    return Math.max(15_000, 2 * this.config.consumerSessionTimeoutMs);
  }

  async create(who: Principal, dto: CreateConsumerDto): Promise<ConsumerView> {
    const topics = [...new Set([...(dto.topics ?? []), ...(dto.topic !== undefined ? [dto.topic] : [])])];
    if (topics.length === 0) throw badInput('Name the topics to read: "topics": ["name"] or "topic": "name".');
    const protocol = dto.protocol ?? 'classic';
    if (dto.ack !== undefined && protocol !== 'share') {
      throw badInput(`ack is for share consumers only ("protocol": "share"); a ${protocol} consumer commits offsets instead of acknowledging records.`);
    }
    const refusal = protocolRefusal(protocol, this.kafkaVersion(), this.cluster.formattedByOlderKafka());
    if (refusal) throw conflict(refusal);
    if (protocol !== 'classic' && !this.host) throw new LabError('DRIVER_FAILED', `This server cannot run ${protocol}-protocol members: it has no client host for Kafka's Java clients.`);

    const reserved = dto.groupId !== undefined ? reservedForStudents(dto.groupId, 'group') : null;
    if (reserved) throw badInput(reserved);
    const clusterTopics = await this.resolveTopics(who, topics);
    // Removed while Kafka was asked: removal has stopped their consumers already, so none may start now.
    if (!this.auth.stillSignedIn(who)) throw new LabError('UNAUTHENTICATED', REMOVED_SENTENCE);

    const id = this.newId();
    const groupId = dto.groupId ?? `${SOLO_GROUP_PREFIX}${id}`;
    const clusterGroupId = toClusterName(who, groupId);
    const spec: SessionSpec = { id, name: dto.name ?? `consumer-${id}`, owner: who.id, groupId, topics, clusterGroupId, clusterTopics, fromBeginning: dto.fromBeginning ?? false };
    // Counted here, with nothing awaited before the session is registered: parallel creates cannot both pass.
    this.quotas.consumerCreate(who, [...this.sessions.values()].filter((s) => s.owner === who.id && s.isAlive()).length);
    const session: LabConsumer =
      protocol === 'classic'
        ? new ConsumerSession(spec, this.deps)
        : new HostedSession(
            { ...spec, protocol, ack: dto.ack ?? 'auto' },
            { host: this.host!, timeline: this.deps.timeline, bus: this.bus, log: this.log, ledger: this.ledgerOf(clusterGroupId), deliveryLimit: SHARE_DELIVERY_LIMIT },
          );
    this.sessions.set(id, session);
    try {
      await session.start(who.id);
    } catch (e) {
      this.sessions.delete(id);
      if (e instanceof LabError) throw e;
      throw await this.kafka.explain(e, { action: `start a consumer on ${topics.join(', ')}`, brokers: this.kafka.bootstrapServers() });
    }
    // Answer once it has joined and fetched: what is produced after the 201 is then surely received.
    await session.whenReady(this.stallThresholdMs);
    return session.view();
  }

  /** A manual share consumer accepts, releases or rejects records it holds (topics as the caller names them). */
  async acknowledge(who: Principal, id: string, acks: AckRequest[]): Promise<{ results: HostedAckResult[] }> {
    const s = this.find(who, id);
    if (!s.acknowledge) {
      throw conflict(`Consumer ${id} does not take acknowledgements: only share consumers started with "ack": "manual" do (this one is a ${s.protocol} consumer).`);
    }
    // The consumer speaks its owner's names, whoever acknowledges (the instructor may, for a student).
    const clusterTopic = (t: string) => s.clusterTopics[s.topics.indexOf(t)] ?? t;
    const results = await s.acknowledge(
      acks.map((a) => ({ ...a, topic: clusterTopic(a.topic) })),
      who.id,
    );
    return { results };
  }

  list(who: Principal): ConsumerView[] {
    return [...this.sessions.values()].filter((s) => this.mayUse(who, s)).map((s) => s.view());
  }

  get(who: Principal, id: string): ConsumerView {
    return this.find(who, id).view();
  }

  messages(who: Principal, id: string, after = 0, limit = 1000): { messages: LabMessage[]; next: number } {
    return this.find(who, id).messages(after, Math.min(limit, RING_SIZE));
  }

  async stop(who: Principal, id: string): Promise<ConsumerView> {
    const s = this.find(who, id);
    await s.stop(who.id);
    return s.view();
  }

  async kill(who: Principal, id: string): Promise<ConsumerView> {
    const s = this.find(who, id);
    await s.kill(who.id);
    return s.view();
  }

  /** Stops it if it runs (cleanly) and forgets it. */
  async remove(who: Principal, id: string): Promise<void> {
    const s = this.find(who, id);
    if (s.isAlive()) await s.stop(who.id);
    this.sessions.delete(id);
  }

  /** A student leaves the class: their consumers stop and are forgotten. */
  async removeOwner(owner: string, actor: string): Promise<void> {
    const mine = [...this.sessions.values()].filter((s) => s.owner === owner);
    await Promise.allSettled(mine.map((s) => (s.isAlive() ? s.stop(actor) : Promise.resolve())));
    for (const s of mine) this.sessions.delete(s.id);
  }

  // ---- for the gateway, the groups service and grading ----------------------------------------

  /** A session is its own feed: owner, where its story starts, the messages it keeps. */
  feed(consumerId: string): ConsumerFeed | undefined {
    return this.sessions.get(consumerId);
  }

  /** Our consumer id for a group member, by its current memberId or by the clientId we gave it. */
  consumerIdOf(memberId: string, clientId: string): string | null {
    for (const s of this.sessions.values()) if (s.memberId === memberId) return s.id;
    if (clientId.startsWith(CLIENT_ID_PREFIX)) {
      const id = clientId.slice(CLIENT_ID_PREFIX.length);
      if (this.sessions.has(id)) return id;
    }
    return null;
  }

  /** Cluster names of the topics our consumers in this group subscribe to. */
  topicsOfGroup(clusterGroupId: string): string[] {
    const out = new Set<string>();
    for (const s of this.sessions.values()) if (s.clusterGroupId === clusterGroupId) s.clusterTopics.forEach((t) => out.add(t));
    return [...out];
  }

  /** The protocol our consumers in this group (cluster name) speak, or null when we run none there. */
  protocolOfGroup(clusterGroupId: string): ConsumerProtocol | null {
    for (const s of this.sessions.values()) if (s.clusterGroupId === clusterGroupId) return s.protocol;
    return null;
  }

  /** Cluster names of the groups our consumers are (or were) in. */
  clusterGroupIds(): string[] {
    return [...new Set([...this.sessions.values()].map((s) => s.clusterGroupId))];
  }

  all(): ConsumerView[] {
    return [...this.sessions.values()].map((s) => s.view());
  }

  async onModuleDestroy(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    if (this.progressWatchdog) clearInterval(this.progressWatchdog);
    this.progressWatchdog = null;
    const alive = [...this.sessions.values()].filter((s) => s.isAlive());
    if (alive.length === 0) return;
    await settleWithin(alive.map((s) => s.stop('system')), SHUTDOWN_DEADLINE_MS);
  }

  /** The Kafka version the cluster runs (as the cluster view says). */
  kafkaVersion(): string {
    return this.cluster.kafkaVersion();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private checkStalls(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      try {
        s.checkStalled(now, this.stallThresholdMs);
      } catch (e) {
        this.log.error(`Watchdog failed on consumer ${s.id}: ${(e as Error).message}`);
      }
    }
  }

  private async warmCoordinator(clusterId: string | null): Promise<void> {
    if (!clusterId || this.warmed.has(clusterId)) return;
    this.warmed.add(clusterId);
    try {
      await this.admin.describeGroups(['kafka-lab-warm-up']);
    } catch (e) {
      this.log.debug(`Warming the group coordinator failed: ${(e as Error).message}`);
    }
  }

  /** The progress watchdog: the shared metadata snapshot (asked for only when stale), one offsets round per topic, then each running consumer judged. */
  private async checkProgress(): Promise<void> {
    const running = [...this.sessions.values()].filter((s) => s.assignedKeys().length > 0);
    if (running.length === 0) return;
    const topics = [...new Set(running.flatMap((s) => s.assignedKeys().map((k) => k.slice(0, k.lastIndexOf(':')))))];
    const md = await this.kafka.recentMetadata(topics);
    const ends = new Map<string, PartitionEnds>();
    for (const t of topics) for (const [k, v] of await this.kafka.offsets(md, t)) ends.set(k, v);
    // Each consumer on its own: one whose group offsets cannot be read must not spare the others.
    for (const s of running) {
      try {
        const unknown = s.unknownPositions(ends);
        const committed = unknown.length ? await this.committedOffsets(s.clusterGroupId, unknown) : new Map<string, bigint | null>();
        s.checkProgress(ends, committed, Date.now(), PROGRESS_THRESHOLD_MS);
      } catch (e) {
        this.progressTrouble(e, s.id);
      }
    }
  }

  private async committedOffsets(groupId: string, keys: string[]): Promise<Map<string, bigint | null>> {
    const topics = [...new Set(keys.map((k) => k.slice(0, k.lastIndexOf(':'))))];
    let res;
    try {
      res = await this.admin.committedOffsets(groupId, topics);
    } catch {
      // The shared admin can be left on a dead connection by a broker restart: once more on a fresh one.
      await this.admin.reset();
      res = await this.admin.committedOffsets(groupId, topics);
    }
    return new Map(res.map((c) => [`${c.topic}:${c.partition}`, c.offset === null ? null : BigInt(c.offset)]));
  }

  /** Says (at most once a minute) that the progress watchdog could not judge, so a silent gap is visible. */
  private progressTrouble(e: unknown, consumerId?: string): void {
    const now = Date.now();
    if (now - this.lastProgressTrouble < 60_000) return;
    this.lastProgressTrouble = now;
    this.log.warn(`The progress watchdog could not check ${consumerId ? `consumer ${consumerId}` : 'the consumers'}: ${(e as Error)?.message ?? e}`);
  }

  /** The cluster names of the caller's topics (their own, else shared: resolveTopic); 404 naming those that do not exist. */
  private async resolveTopics(who: Principal, topics: string[]): Promise<string[]> {
    let existing: Set<string>;
    try {
      existing = new Set(await this.admin.listTopics());
    } catch (e) {
      throw await this.kafka.explain(e, { action: 'list the topics', brokers: this.kafka.bootstrapServers() });
    }
    const clusterTopics = topics.map((t) => resolveTopic(who, t, (n) => existing.has(n)));
    const missing = topics.filter((_, i) => !existing.has(clusterTopics[i]));
    if (missing.length === 1) throw notFound(`The topic ${missing[0]} does not exist.`);
    if (missing.length > 1) throw notFound(`The topics ${missing.join(', ')} do not exist.`);
    return clusterTopics;
  }

  private ledgerOf(clusterGroupId: string): ShareLedger {
    let ledger = this.ledgers.get(clusterGroupId);
    if (!ledger) this.ledgers.set(clusterGroupId, (ledger = new ShareLedger()));
    return ledger;
  }

  private find(who: Principal, id: string): LabConsumer {
    const s = this.sessions.get(id);
    // Someone else's consumer answers like an unknown one: a student must not learn what others run.
    if (!s || !this.mayUse(who, s)) throw notFound(notFoundSentence('consumer', id));
    return s;
  }

  private mayUse(who: Principal, s: LabConsumer): boolean {
    return who.role === 'instructor' || s.owner === who.id;
  }

  /** 8 characters of base 36: short, URL-safe, and ours (never kafkajs's memberId). */
  private newId(): string {
    for (;;) {
      const id = BigInt('0x' + randomBytes(8).toString('hex')).toString(36).slice(-8).padStart(8, '0');
      if (!this.sessions.has(id)) return id;
    }
  }
}
