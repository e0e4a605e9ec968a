import * as net from 'node:net';
import { settleWithin } from '../common/deadline';
import { Consumer, ConsumerConfig, EachBatchPayload, KafkaConfig, LogEntry, logLevel } from 'kafkajs';
import { installStoppedFetchGuard } from './kafkajs-stopped-fetch-guard';
import { LAB_PARTITION_ASSIGNERS } from './lab-assigners';

// Before any member exists: a stopped member must never spin kafkajs's fetch loop (see the guard).
installStoppedFetchGuard();

/**
 * A member of a classic consumer group (JoinGroup/SyncGroup/Heartbeat), as kafkajs runs one, told in
 * the domain's words: joins with their assignment and generation, heartbeats, batches of records,
 * crashes. Nothing outside src/kafka/ sees a kafkajs object.
 */

/** Record headers as the client hands them over (a repeated header is an array). */
export type RecordHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined>;

/** One record as consumed. kafkajs's messages have this shape already: the hot path copies nothing. */
export interface ConsumedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  headers?: RecordHeaders;
}

/** One fetched batch of one partition. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: readonly ConsumedRecord[];
  /** Marks a record read; a record left unresolved is read again after the next join. */
  resolve(offset: string): void;
  /** False once the batch went stale (a rebalance under way) or the member is stopping. */
  current(): boolean;
}

export interface ClassicMemberOptions {
  clientId: string;
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Asked after a crash the client could restart from: whether it should (it then joins as a new member). */
  mayRestart(): boolean;
}

/** What a member reports. Called inside the client's loops: keep them cheap. */
export interface ClassicMemberEvents {
  /** Joined the group. `generation` when the client told it with the join, else the next heartbeat does. */
  joined(memberId: string, assignment: Record<string, number[]>, generation: number | null): void;
  heartbeat(memberId: string, generation: number): void;
  fetchStarted(): void;
  fetched(): void;
  /** The group is rebalancing: this member will rejoin. */
  rebalancing(): void;
  /** The client stopped on an error; `restarting` when it starts again by itself (a new member id). */
  crashed(error: Error, restarting: boolean): void;
  /** Resolves when the batch is handled (records not resolved by then are read again). */
  batch(batch: ConsumedBatch): Promise<void>;
}

/** One incarnation of a group member; once detached it reports nothing more. */
export interface ClassicMember {
  /** Connects, subscribes, calls `afterSubscribe`, and resolves after the first join (or crash). */
  start(afterSubscribe?: () => void): Promise<void>;
  /** No event of this member is reported any more. */
  detach(): void;
  /** Leaves the group (LeaveGroup) within `deadlineMs`, then cuts whatever is left. */
  leave(deadlineMs: number): Promise<void>;
  /** Cuts every connection without a word to the brokers (no LeaveGroup, no commit, no reconnect). */
  cut(): void;
}

export type ClassicMemberFactory = (options: ClassicMemberOptions, events: ClassicMemberEvents) => ClassicMember;

/** What the member needs of KafkaService: a consumer on a client of its own. */
export interface ConsumerSource {
  consumer(config: ConsumerConfig, extra?: Partial<KafkaConfig>): Consumer;
}

/**
 * One kafkajs consumer on a private client whose sockets we hold, so a kill can cut them without a
 * LeaveGroup. Offsets are not committed here: the owner commits (off the fetch loop) with OffsetCommit.
 */
export class ClassicConsumer implements ClassicMember {
  private readonly consumer: Consumer;
  private cutOff = false;
  private detached = false;
  /** The generation of the join under way, from kafkajs's log (see the logCreator below). */
  private joining: { memberId: string; generation: number } | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly offs: Array<() => void> = [];

  constructor(
    source: ConsumerSource,
    private readonly options: ClassicMemberOptions,
    private readonly events: ClassicMemberEvents,
  ) {
    const sessionTimeout = options.sessionTimeoutMs;
    this.consumer = source.consumer(
      {
        groupId: options.groupId,
        sessionTimeout,
        heartbeatInterval: options.heartbeatIntervalMs,
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
          restartOnFailure: async () => !this.detached && !this.cutOff && options.mayRestart(),
        },
      },
      {
        clientId: options.clientId,
        socketFactory: ({ host, port, onConnect }) => this.connect(host, port, onConnect),
        // GROUP_JOIN has no generation, but kafkajs's debug line "Received assignment", logged just
        // before it, does. A private client's log costs one cheap filter per line.
        logLevel: logLevel.DEBUG,
        logCreator: () => (entry: LogEntry) => {
          if (entry.log.message === 'Received assignment' && !this.detached) {
            this.joining = { memberId: String(entry.log.memberId), generation: Number(entry.log.generationId) };
          }
        },
      },
    );
    const c = this.consumer;
    const ev = c.events;
    this.offs.push(
      c.on(ev.GROUP_JOIN, (e) => this.onJoin(e.payload.memberId, e.payload.memberAssignment)),
      c.on(ev.HEARTBEAT, (e) => events.heartbeat(e.payload.memberId, e.payload.groupGenerationId)),
      c.on(ev.FETCH_START, () => events.fetchStarted()),
      c.on(ev.FETCH, () => events.fetched()),
      c.on(ev.REBALANCING, () => events.rebalancing()),
      c.on(ev.CRASH, (e) => {
        if (!this.cutOff) events.crashed(e.payload.error, e.payload.restart);
      }),
    );
  }

  async start(afterSubscribe?: () => void): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning });
    afterSubscribe?.();
    await this.consumer.run({
      // The owner commits: off the fetch loop, and before every rebalance and leave.
      autoCommit: false,
      // Records are resolved one by one, so a batch cut short by a rebalance is not marked as read.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  detach(): void {
    this.detached = true;
    for (const off of this.offs.splice(0)) off();
  }

  async leave(deadlineMs: number): Promise<void> {
    await settleWithin([this.consumer.disconnect()], deadlineMs);
    this.sever();
  }

  cut(): void {
    this.sever();
    this.detach();
    // Lets kafkajs wind down its loops; every connect fails at once, so nothing reaches a broker.
    void this.consumer.disconnect().catch(() => undefined);
  }

  private sever(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy(new Error('the consumer was killed'));
    this.sockets.clear();
  }

  private connect(host: string, port: number, onConnect: () => void): net.Socket {
    // Throwing here becomes a KafkaJSConnectionError at once: a killed consumer never reaches a broker again.
    if (this.cutOff) throw new Error('the consumer was killed');
    const socket = net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    // kafkajs drops its listeners on disconnect; a late error must not become an uncaught exception.
    socket.on('error', () => undefined);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  private onJoin(memberId: string, assignment: Record<string, number[]>): void {
    const j = this.joining;
    this.joining = null;
    // Without the log line (e.g. KAFKAJS_LOG_LEVEL set), the next heartbeat tells the generation.
    const generation = j?.memberId === memberId && Number.isFinite(j.generation) ? j.generation : null;
    this.events.joined(memberId, assignment, generation);
  }

  private onBatch({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.detached || this.cutOff) return Promise.resolve();
    return this.events.batch({
      topic: batch.topic,
      partition: batch.partition,
      records: batch.messages as ConsumedRecord[],
      resolve: resolveOffset,
      current: () => isRunning() && !isStale(),
    });
  }
}
