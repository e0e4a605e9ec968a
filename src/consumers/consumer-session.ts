import { Logger } from '@nestjs/common';
import * as net from 'node:net';
import { Consumer, EachBatchPayload, IHeaders, ISocketFactory, KafkaMessage, LogEntry, logLevel } from 'kafkajs';
import { conflict } from '../common/lab-error';
import { KafkaService } from '../kafka/kafka.service';
import { LabMessage, LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { EventScope } from '../timeline/timeline.types';
import { diffAssignments, isEmptyAssignment, normalizeAssignment, TopicPartitions } from './assignment-diff';
import { CLIENT_ID_PREFIX, ConsumerState, ConsumerView } from './consumer.types';
import { LAB_PARTITION_ASSIGNERS } from './lab-assigners';
import { MessageRing } from './message-ring';
import { PartitionEnds, Progress, stuckPartitions } from './partition-progress';

/** API.md promises at least 1000 kept messages per consumer. */
export const RING_SIZE = 2000;
/** GROUP_JOIN carries no generation: wait this long for a heartbeat/commit that does. */
const GENERATION_WAIT_MS = 1500;
/** How long a graceful disconnect (LeaveGroup) may take before the sockets are cut anyway. */
const RETIRE_DEADLINE_MS = 5000;
/**
 * Offsets are committed this long after the first message delivered since the last commit (and at
 * every rebalance and graceful stop). kafkajs's own auto-commit writes to __consumer_offsets after
 * every batch, inside the fetch loop: measured, that tripled produce→socket latency on 2 cores.
 */
const COMMIT_DELAY_MS = 250;
/** A commit that failed (coordinator moving, member rejoining) is tried again after this. */
const COMMIT_RETRY_MS = 1000;
const COMMIT_TIMEOUT_MS = 3000;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 15_000;

export interface SessionDeps {
  kafka: KafkaService;
  timeline: TimelineService;
  bus: LiveBus;
  sessionTimeoutMs: number;
  log: Logger;
}

/**
 * `groupId`/`topics` are the names the owner used (shown by the API, put on messages); the cluster
 * names (per-student namespaces) are what Kafka and the timeline see.
 */
export interface SessionSpec {
  id: string;
  name: string;
  owner: string;
  groupId: string;
  topics: string[];
  clusterGroupId: string;
  clusterTopics: string[];
  fromBeginning: boolean;
}

/**
 * One kafkajs consumer on a private client whose sockets we hold, so a kill can cut them without a
 * LeaveGroup. A crash without restart, or a stall, replaces the incarnation; the session stays.
 */
class Incarnation {
  consumer!: Consumer;
  cut = false;
  /** The generation of the join under way, from kafkajs's log (see launch). */
  joined: { memberId: string; generation: number } | null = null;
  private readonly sockets = new Set<net.Socket>();
  private offs: Array<() => void> = [];

  readonly socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    // Throwing here becomes a KafkaJSConnectionError at once: a killed consumer never reaches a broker again.
    if (this.cut) throw new Error('the consumer was killed');
    const socket = net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    // kafkajs drops its listeners on disconnect; a late error must not become an uncaught exception.
    socket.on('error', () => undefined);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  };

  listen(off: () => void): void {
    this.offs.push(off);
  }

  detach(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /** Cuts every connection without a word to the brokers: no LeaveGroup, no commit, no new connection. */
  sever(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy(new Error('the consumer was killed'));
    this.sockets.clear();
  }
}

/**
 * One API consumer: its kafkajs consumer(s), what it received, and the rebalance story of its member.
 * Keyed by our own id: kafkajs gives a new memberId each time it restarts a consumer.
 */
export class ConsumerSession {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly groupId: string;
  readonly topics: string[];
  readonly clusterGroupId: string;
  readonly clusterTopics: string[];
  readonly fromBeginning: boolean;
  readonly createdAt = new Date().toISOString();

  state: ConsumerState = 'joining';
  memberId: string | null = null;
  received = 0;
  /** Last sign of life from kafkajs (fetch, heartbeat, join, crash), for the watchdog. */
  lastActivity = Date.now();

  private inc: Incarnation | null = null;
  /** The assignment as kafkajs last reported it (what GET shows). */
  private assignment: TopicPartitions[] = [];
  /** The assignment as of the last group.rebalanced event: what the next diff is taken against. */
  private published: TopicPartitions[] = [];
  private lastGeneration: number | null = null;
  private pending: { memberId: string; next: TopicPartitions[]; timer: NodeJS.Timeout } | null = null;
  private seq = 0;
  private readonly ring = new MessageRing(RING_SIZE);
  private restartTimer: NodeJS.Timeout | null = null;
  private relaunching = false;
  private failures = 0;
  private fetchedSinceJoin = false;
  private waiters: Array<() => void> = [];
  private readonly visibleTopic: Map<string, string>;
  /** Per assigned partition (`topic:partition`, cluster names): where reading stands and since when. */
  private readonly progress = new Map<string, Progress>();
  /** Per assigned partition: the offset last committed for it by this session. */
  private readonly committed = new Map<string, bigint>();
  /** Member id and generation to commit as: known once the join's generation is. */
  private member: { memberId: string; generation: number } | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  /** When kafkajs last heartbeated: the next one, which may learn of a rebalance, is due an interval later. */
  private lastHeartbeatAt = 0;
  /** Between REBALANCING and the next join nothing is shown: this generation can no longer commit it. */
  private rebalancing = false;
  /** Commits run one after the other, each with the positions of its own moment. */
  private commitChain: Promise<void> = Promise.resolve();

  constructor(spec: SessionSpec, private readonly deps: SessionDeps) {
    this.id = spec.id;
    this.name = spec.name;
    this.owner = spec.owner;
    this.groupId = spec.groupId;
    this.topics = spec.topics;
    this.clusterGroupId = spec.clusterGroupId;
    this.clusterTopics = spec.clusterTopics;
    this.visibleTopic = new Map(spec.clusterTopics.map((t, i) => [t, spec.topics[i]]));
    this.fromBeginning = spec.fromBeginning;
  }

  view(): ConsumerView {
    return {
      id: this.id,
      name: this.name,
      owner: this.owner,
      groupId: this.groupId,
      topics: [...this.topics],
      fromBeginning: this.fromBeginning,
      state: this.state,
      memberId: this.memberId,
      assignment: this.assignment.map((tp) => ({ topic: this.visibleTopic.get(tp.topic) ?? tp.topic, partitions: [...tp.partitions] })),
      received: this.received,
      createdAt: this.createdAt,
    };
  }

  messages(after: number, limit: number): { messages: LabMessage[]; next: number } {
    return this.ring.after(after, limit);
  }

  /** Still a member (or trying to become one again). */
  isAlive(): boolean {
    return this.state === 'joining' || this.state === 'running' || this.state === 'crashed';
  }

  /**
   * Connects, subscribes and joins the group (kafkajs's run() returns after the first join or crash).
   * Throws when the cluster cannot be reached at all; the session is then left with nothing running.
   */
  async start(actor: string): Promise<void> {
    const inc = this.launch();
    try {
      await this.boot(inc, () => this.publish('consumer.started', actor));
    } catch (e) {
      this.state = 'stopped';
      await this.retire(inc, 0);
      throw e;
    }
  }

  /** Resolves once the consumer has joined and completed a fetch (so its start offsets are fixed), or at the deadline. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.isReady() || !this.isAlive()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.waiters = self.waiters.filter((w) => w !== done);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  /** Ctrl-C: leave the group cleanly (LeaveGroup), so it rebalances at once. */
  async stop(actor: string): Promise<void> {
    if (!this.isAlive()) throw conflict(`Consumer ${this.id} is not running: it is ${this.state}.`);
    this.state = 'stopped';
    this.clearRestart();
    if (this.inc) await this.retire(this.inc, RETIRE_DEADLINE_MS);
    this.revokeAll();
    this.wake();
    this.publish('consumer.stopped', actor);
  }

  /** A crash: sockets cut, no LeaveGroup; the group finds out only when the session timeout runs out. */
  kill(actor: string): void {
    if (!this.isAlive()) throw conflict(`Consumer ${this.id} is not running: it is ${this.state}.`);
    this.state = 'killed';
    this.clearRestart();
    // A crash commits nothing more: whoever takes its partitions reads again from the last commit.
    this.clearCommitTimer();
    const inc = this.inc;
    if (inc) {
      inc.sever();
      inc.detach();
      // Lets kafkajs wind down its loops; every connect fails at once, so nothing reaches a broker.
      void inc.consumer.disconnect().catch(() => undefined);
    }
    this.revokeAll();
    this.wake();
    this.publish('consumer.killed', actor);
  }

  /**
   * The watchdog's check: a live consumer with no fetch, heartbeat or other sign of life for longer
   * than `thresholdMs` is stuck (kafkajs can stall after its coordinator dies): replace it.
   */
  checkStalled(now: number, thresholdMs: number): boolean {
    if (!this.isAlive() || this.restartTimer || this.relaunching) return false;
    const silent = now - this.lastActivity;
    if (silent <= thresholdMs) return false;
    this.markCrashed(`it showed no sign of life (no fetch or heartbeat) for ${Math.round(silent / 1000)} s`);
    this.touch();
    void this.relaunch();
    return true;
  }

  /** The assigned partitions (`topic:partition`, cluster names) of a running consumer. */
  assignedKeys(): string[] {
    if (this.state !== 'running') return [];
    return this.assignment.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}:${p}`));
  }

  /** Assigned partitions with messages whose read position this consumer does not know yet. */
  unknownPositions(ends: Map<string, PartitionEnds>): string[] {
    return this.assignedKeys().filter((k) => {
      const e = ends.get(k);
      return this.progress.get(k)?.next === null && !!e && e.latest !== null && e.earliest !== null && BigInt(e.latest) > BigInt(e.earliest);
    });
  }

  /**
   * The progress watchdog's check (see partition-progress.ts): a consumer that holds partitions with
   * unread messages and reads nothing from them for `thresholdMs` is replaced, like a stalled one.
   */
  checkProgress(ends: Map<string, PartitionEnds>, committed: Map<string, bigint | null>, now: number, thresholdMs: number): boolean {
    if (this.state !== 'running' || this.restartTimer || this.relaunching) return false;
    const stuck = stuckPartitions(this.assignedKeys(), this.progress, ends, committed, this.fromBeginning, now, thresholdMs);
    if (stuck.length === 0) return false;
    const names = stuck.map((k) => {
      const i = k.lastIndexOf(':');
      return `${this.visibleTopic.get(k.slice(0, i)) ?? k.slice(0, i)} [${k.slice(i + 1)}]`;
    });
    this.markCrashed(`it read nothing from ${names.join(', ')} for ${Math.round(thresholdMs / 1000)} s although unread messages wait there`);
    this.touch();
    void this.relaunch();
    return true;
  }

  /** A new assignment: partitions kept keep their position; every one gets a fresh grace period. */
  private trackAssignment(next: TopicPartitions[]): void {
    const now = Date.now();
    const keys = new Set(next.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}:${p}`)));
    for (const k of [...this.progress.keys()]) if (!keys.has(k)) this.progress.delete(k);
    for (const k of [...this.committed.keys()]) if (!keys.has(k)) this.committed.delete(k);
    for (const k of keys) this.progress.set(k, { next: this.progress.get(k)?.next ?? null, since: now });
  }

  // ---- kafkajs lifecycle -------------------------------------------------------------------

  private launch(): Incarnation {
    const inc = new Incarnation();
    const sessionTimeout = this.deps.sessionTimeoutMs;
    this.rebalancing = false;
    const consumer = this.deps.kafka.consumer(
      {
        groupId: this.clusterGroupId,
        sessionTimeout,
        heartbeatInterval: this.heartbeatIntervalMs(),
        // Survivors rejoin within a heartbeat; a modest limit keeps a stuck member from holding the group.
        rebalanceTimeout: Math.max(sessionTimeout, 5000),
        // Short fetch waits: messages show up at once and rebalances are seen within a heartbeat.
        maxWaitTimeInMs: 200,
        metadataMaxAge: 5000,
        maxBytes: 1024 * 1024,
        maxBytesPerPartition: 256 * 1024,
        allowAutoTopicCreation: false,
        // Standard assigner names, so kcat and Java consumers can join the same group.
        partitionAssigners: LAB_PARTITION_ASSIGNERS,
        // The consumer's retry overrides the client's: keep retrying through a broker failover
        // (~6 s until a killed broker is fenced), at least once a second so it resumes soon after.
        retry: {
          initialRetryTime: 200,
          retries: 20,
          maxRetryTime: 1000,
          restartOnFailure: async () => inc === this.inc && !inc.cut && this.isAlive(),
        },
      },
      {
        clientId: `${CLIENT_ID_PREFIX}${this.id}`,
        socketFactory: inc.socketFactory,
        // GROUP_JOIN has no generation, but kafkajs's debug line "Received assignment", logged just
        // before it, does. A private client's log costs one cheap filter per line.
        logLevel: logLevel.DEBUG,
        logCreator: () => (entry: LogEntry) => {
          if (entry.log.message === 'Received assignment' && inc === this.inc) {
            inc.joined = { memberId: String(entry.log.memberId), generation: Number(entry.log.generationId) };
          }
        },
      },
    );
    inc.consumer = consumer;
    const ev = consumer.events;
    inc.listen(consumer.on(ev.GROUP_JOIN, (e) => this.onJoin(inc, e.payload.memberId, e.payload.memberAssignment)));
    inc.listen(consumer.on(ev.HEARTBEAT, (e) => this.onGeneration(inc, e.payload.memberId, e.payload.groupGenerationId)));
    inc.listen(consumer.on(ev.FETCH_START, () => inc === this.inc && this.touch()));
    inc.listen(consumer.on(ev.FETCH, () => this.onFetch(inc)));
    inc.listen(consumer.on(ev.REBALANCING, () => this.onRebalancing(inc)));
    inc.listen(consumer.on(ev.CRASH, (e) => this.onCrash(inc, e.payload.error, e.payload.restart)));
    this.inc = inc;
    return inc;
  }

  private async boot(inc: Incarnation, afterSubscribe?: () => void): Promise<void> {
    await inc.consumer.connect();
    await inc.consumer.subscribe({ topics: this.clusterTopics, fromBeginning: this.fromBeginning });
    afterSubscribe?.();
    await inc.consumer.run({
      // We commit ourselves (commitDelivered): off the fetch loop, and before every rebalance and leave.
      autoCommit: false,
      // We resolve offsets ourselves so a batch cut short by a rebalance is not marked as read.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(inc, payload),
    });
  }

  /** Graceful disconnect (LeaveGroup) within `deadlineMs`, then cut whatever is left. */
  private async retire(inc: Incarnation, deadlineMs: number): Promise<void> {
    inc.detach();
    this.clearCommitTimer();
    if (deadlineMs > 0) {
      // What was shown is committed before the member leaves, so whoever takes its partitions starts
      // after it (kafkajs leaves without committing). Nothing more is shown from here on.
      await this.commitDelivered(Math.min(COMMIT_TIMEOUT_MS, deadlineMs)).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        inc.consumer.disconnect().catch(() => undefined),
        new Promise<void>((r) => (timer = setTimeout(r, deadlineMs))),
      ]);
      clearTimeout(timer);
    }
    inc.sever();
    if (deadlineMs <= 0) void inc.consumer.disconnect().catch(() => undefined);
  }

  /** Replaces the kafkajs consumer after a crash without restart or a stall; our id stays. */
  private async relaunch(): Promise<void> {
    if (!this.isAlive() || this.relaunching) return;
    this.relaunching = true;
    try {
      const old = this.inc;
      if (old) await this.retire(old, 2000);
      if (!this.isAlive()) return;
      const inc = this.launch();
      try {
        await this.boot(inc);
      } catch (e) {
        if (inc === this.inc && this.isAlive()) {
          this.markCrashed(describe(e));
          this.scheduleRelaunch();
        }
      }
    } finally {
      this.relaunching = false;
    }
  }

  private scheduleRelaunch(): void {
    if (this.restartTimer || !this.isAlive()) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    this.deps.log.warn(`Consumer ${this.id} (group ${this.groupId}) will be recreated in ${delay} ms.`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.relaunch();
    }, delay);
    this.restartTimer.unref?.();
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  // ---- kafkajs events (listeners run inside kafkajs's emit: keep them cheap) ----------------

  private onJoin(inc: Incarnation, memberId: string, memberAssignment: Record<string, number[]>): void {
    if (inc !== this.inc || !this.isAlive()) return;
    this.touch();
    // A join that never learnt its generation is published now, before the next one is taken.
    if (this.pending) this.settle(null);
    const next = normalizeAssignment(memberAssignment);
    this.rebalancing = false;
    this.memberId = memberId;
    // Commits wait for this join's generation (an older one would be refused anyway).
    this.member = null;
    this.assignment = next;
    this.fetchedSinceJoin = false;
    this.trackAssignment(next);
    if (this.state === 'crashed') {
      this.state = 'running';
      this.failures = 0;
      this.publish('consumer.recovered', 'kafka');
    } else if (this.state === 'joining') {
      this.state = 'running';
    }
    const known = inc.joined?.memberId === memberId && Number.isFinite(inc.joined.generation) ? inc.joined.generation : null;
    inc.joined = null;
    const timer = setTimeout(() => this.settle(null), GENERATION_WAIT_MS);
    timer.unref?.();
    this.pending = { memberId, next, timer };
    // Without the log line (e.g. KAFKAJS_LOG_LEVEL set), the next heartbeat tells the generation.
    if (known !== null) this.settle(known);
  }

  private onGeneration(inc: Incarnation, memberId: string, generation: number): void {
    if (inc !== this.inc) return;
    this.touch();
    this.lastHeartbeatAt = Date.now();
    if (memberId === this.memberId && !this.pending) this.member = { memberId, generation };
    if (this.pending && this.pending.memberId === memberId) this.settle(generation);
  }

  private onFetch(inc: Incarnation): void {
    if (inc !== this.inc) return;
    this.touch();
    if (this.state === 'running' && !this.fetchedSinceJoin) {
      this.fetchedSinceJoin = true;
      this.wake();
    }
  }

  private onCrash(inc: Incarnation, error: Error, restart: boolean): void {
    if (inc !== this.inc || inc.cut || !this.isAlive()) return;
    this.touch();
    this.markCrashed(describe(error));
    // With restart, kafkajs starts the same consumer again (a new memberId); its join means recovered.
    if (!restart) this.scheduleRelaunch();
  }

  /** The group is rebalancing: commit what was shown while this generation may still commit. */
  private onRebalancing(inc: Incarnation): void {
    if (inc !== this.inc || !this.isAlive()) return;
    this.touch();
    this.rebalancing = true;
    this.clearCommitTimer();
    void this.commitDelivered(COMMIT_TIMEOUT_MS).catch(() => undefined);
  }

  private async onBatch(inc: Incarnation, { batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Unresolved, these messages are read again after the rejoin, by this member or the next owner.
    if (inc !== this.inc || inc.cut || !this.isAlive() || this.rebalancing) return;
    const key = `${batch.topic}:${batch.partition}`;
    // After a rejoin or a recovery kafkajs starts again from the last commit; what this consumer has
    // shown already is not shown twice.
    const shown = this.progress.get(key)?.next ?? null;
    const out: LabMessage[] = [];
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
      resolveOffset(m.offset);
      if (shown !== null && BigInt(m.offset) < shown) continue;
      out.push(this.toMessage(batch.topic, batch.partition, m));
    }
    if (out.length === 0) return;
    this.progress.set(key, { next: BigInt(out[out.length - 1].offset) + 1n, since: Date.now() });
    this.received += out.length;
    this.ring.push(out);
    this.deps.bus.emit('messages', this.id, this.owner, out);
    // kafkajs heartbeats right after this batch once an interval has passed, and that heartbeat may be
    // the one that learns of a rebalance. The commit is sent now, ahead of it: it reaches the
    // coordinator a round trip before this member's JoinGroup can, while the group still waits for
    // us, so a partition that moves to another member is not read again there. Not awaited: waiting
    // here stalls every partition's fetches (measured: delivery p99 134 -> 174-204 ms).
    if (Date.now() - this.lastHeartbeatAt >= this.heartbeatIntervalMs() - 50) {
      this.clearCommitTimer();
      void this.commitDelivered(COMMIT_TIMEOUT_MS).catch(() => undefined);
    } else {
      this.scheduleCommit(COMMIT_DELAY_MS);
    }
  }

  /** ~1/10 of the session: a member notices a rebalance quickly, and one missed beat is harmless. */
  private heartbeatIntervalMs(): number {
    return Math.max(300, Math.floor(this.deps.sessionTimeoutMs / 10));
  }

  // ---- offsets -----------------------------------------------------------------------------

  private scheduleCommit(delayMs: number): void {
    if (this.commitTimer || !this.isAlive()) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = null;
      if (this.isAlive()) void this.commitDelivered(COMMIT_TIMEOUT_MS).catch(() => undefined);
    }, delayMs);
    this.commitTimer.unref?.();
  }

  private clearCommitTimer(): void {
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = null;
  }

  /** Commits every assigned partition whose shown position is past its last commit. */
  private commitDelivered(timeoutMs: number): Promise<void> {
    const run = this.commitChain.then(() => this.commitOnce(timeoutMs));
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  private async commitOnce(timeoutMs: number): Promise<void> {
    const member = this.member;
    if (!member) return;
    const offsets = this.assignment.flatMap((tp) =>
      tp.partitions.flatMap((partition) => {
        const next = this.progress.get(`${tp.topic}:${partition}`)?.next ?? null;
        const done = this.committed.get(`${tp.topic}:${partition}`);
        return next !== null && (done === undefined || next > done) ? [{ topic: tp.topic, partition, offset: next.toString() }] : [];
      }),
    );
    if (offsets.length === 0) return;
    let codes: Map<string, number> | null = null;
    try {
      codes = await this.deps.kafka.commitOffsets({ groupId: this.clusterGroupId, ...member }, offsets, timeoutMs);
    } catch {
      // No answer (coordinator moving, broker down): the next attempt finds the coordinator again.
    }
    let failed = codes === null;
    for (const o of offsets) {
      const key = `${o.topic}:${o.partition}`;
      if (codes?.get(key) !== 0) {
        failed = true;
        continue;
      }
      const at = BigInt(o.offset);
      if ((this.committed.get(key) ?? -1n) < at) this.committed.set(key, at);
    }
    // A refused generation is settled by the rejoin under way; the retry then commits as the new one.
    if (failed) this.scheduleCommit(COMMIT_RETRY_MS);
  }

  // ---- rebalance story ---------------------------------------------------------------------

  /** Publishes the pending join's group.rebalanced, unless it changed nothing (a rejoin of the same generation). */
  private settle(generation: number | null): void {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = null;
    const { assigned, revoked } = diffAssignments(this.published, pending.next);
    const changed = !isEmptyAssignment(assigned) || !isEmptyAssignment(revoked);
    const newGeneration = generation !== null && generation !== this.lastGeneration;
    if (generation !== null) {
      this.lastGeneration = generation;
      this.member = { memberId: pending.memberId, generation };
      // Positions kept through the rebalance and not yet committed are committed as this generation.
      this.clearCommitTimer();
      this.scheduleCommit(0);
    }
    this.published = pending.next;
    if (!changed && !newGeneration) return;
    this.publishRebalance(pending.memberId, generation, assigned, revoked);
  }

  /** The member is gone (stop, kill, crash): everything it had is revoked. */
  private revokeAll(): void {
    if (this.pending) this.settle(null);
    const revoked = this.published;
    this.published = [];
    this.assignment = [];
    this.fetchedSinceJoin = false;
    if (isEmptyAssignment(revoked)) return;
    this.publishRebalance(this.memberId, this.lastGeneration, [], revoked);
  }

  private markCrashed(reason: string): void {
    this.revokeAll();
    if (this.state === 'crashed') return;
    this.state = 'crashed';
    this.deps.log.warn(`Consumer ${this.id} (group ${this.groupId}) crashed: ${reason}`);
    this.publish('consumer.crashed', 'kafka', { reason });
  }

  private publishRebalance(memberId: string | null, generation: number | null, assigned: TopicPartitions[], revoked: TopicPartitions[]): void {
    this.deps.timeline.publish(
      { type: 'group.rebalanced', actor: 'kafka', groupId: this.clusterGroupId, consumerId: this.id, memberId, generation, assigned, revoked },
      this.scope(),
    );
  }

  private publish(type: 'consumer.started' | 'consumer.stopped' | 'consumer.killed' | 'consumer.crashed' | 'consumer.recovered', actor: string, extra: Record<string, unknown> = {}): void {
    this.deps.timeline.publish({ type, actor, consumerId: this.id, groupId: this.clusterGroupId, ...extra }, this.scope());
  }

  private scope(): EventScope {
    return { owner: this.owner, consumerId: this.id, groupId: this.clusterGroupId, topic: this.clusterTopics[0] };
  }

  // ---- small helpers -----------------------------------------------------------------------

  private isReady(): boolean {
    return this.state === 'running' && this.fetchedSinceJoin;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private toMessage(topic: string, partition: number, m: KafkaMessage): LabMessage {
    const ts = Number(m.timestamp);
    return {
      seq: ++this.seq,
      consumerId: this.id,
      topic: this.visibleTopic.get(topic) ?? topic,
      partition,
      offset: m.offset,
      key: m.key == null ? null : m.key.toString('utf8'),
      value: m.value == null ? null : m.value.toString('utf8'),
      headers: headersOf(m.headers),
      timestamp: new Date(Number.isFinite(ts) && ts >= 0 ? ts : Date.now()).toISOString(),
    };
  }
}

function headersOf(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v == null) continue;
    // A repeated header keeps its last value: the API shows one string per name.
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last != null) out[k] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out;
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: unknown };
  const msg = err?.message ?? String(e);
  return err?.name && err.name !== 'Error' ? `${err.name}: ${msg}` : msg;
}
