import { Logger } from '@nestjs/common';
import type {
  AckMode,
  AckRequest,
  ClientHost,
  HostedAckResult,
  HostedMember,
  HostedMemberEvents,
  HostedProtocol,
  HostedRebalance,
  HostedRecord,
} from '../client-host/client-host.types';
import { conflict } from '../common/lab-error';
import { LabMessage, LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { isEmptyAssignment, normalizeAssignment, TopicPartitions } from './assignment-diff';
import { hostedToLabMessage } from './consumed-message';
import { ConsumerSupervisor, describeError } from './consumer-supervisor';
import { CLIENT_ID_PREFIX, ConsumerView } from './consumer.types';
import { ConsumerBase, SessionSpec } from './consumer-base';
import { LabConsumer, notRunning } from './lab-consumer';
import { HostedShare } from './hosted-share';
import { ShareLedger } from './share-story';

/** How long a graceful leave (consumer.close) may take. */
const LEAVE_DEADLINE_MS = 5000;
/** After joining, how long a new member waits for its first assignment step before it counts as ready. */
export const ASSIGNMENT_WAIT_MS = 3000;

export interface HostedSessionDeps {
  host: ClientHost;
  timeline: Pick<TimelineService, 'publish' | 'lastSeq'>;
  bus: LiveBus;
  log: Logger;
  /** The group's ledger of why records come back (share groups; shared by the group's sessions). */
  ledger: ShareLedger;
  /** The broker's group.share.delivery.count.limit: a record given back at it is archived. */
  deliveryLimit: number;
}

export interface HostedSessionSpec extends SessionSpec {
  protocol: HostedProtocol;
  /** share only (consumer-protocol members commit offsets). */
  ack: AckMode;
}

/**
 * One API consumer whose member runs in the client-host JVM on Kafka's own Java clients: a
 * consumer-protocol member (KIP-848) or a share-group member (KIP-932). Same ids, views, messages and
 * consumer.* events as a classic ConsumerSession; its rebalance story is the host's reconciliation
 * steps as they come (the broker decides, only what moves), and a share member's story adds share.*.
 * Supervised: a member the host reports crashed (its loop failed, or the JVM went away) is replaced by
 * a new one, with a growing backoff while that fails (ConsumerSupervisor).
 */
export class HostedSession extends ConsumerBase implements LabConsumer {
  readonly protocol: HostedProtocol;
  readonly ack?: AckMode;

  private member: HostedMember | null = null;
  /** Each member started gets a number: reports of an earlier (dead) one are ignored. */
  private incarnation = 0;
  /** Reports that arrived before consumer.started was told, played right after it. */
  private early: Array<() => void> | null = [];
  private currentMemberId: string | null = null;
  private memberEpoch: number | null = null;
  private owned: TopicPartitions[] = [];
  private readyTimer: NodeJS.Timeout | null = null;
  /** consumer protocol: per partition the next offset not yet shown (a new member restarts from the last commit). */
  private readonly shownUpTo = new Map<string, bigint>();
  private readonly share: HostedShare | null;
  private readonly supervisor: ConsumerSupervisor;

  constructor(private readonly spec: HostedSessionSpec, private readonly deps: HostedSessionDeps) {
    super(spec, deps);
    this.protocol = spec.protocol;
    if (spec.protocol === 'share') this.ack = spec.ack;
    this.share =
      spec.protocol === 'share'
        ? new HostedShare(
            { consumerId: this.id, clusterGroupId: this.clusterGroupId, visibleTopic: (t) => this.visibleName(t), scope: () => this.scope(), timeline: deps.timeline },
            deps.ledger,
            deps.deliveryLimit,
            spec.ack === 'manual',
          )
        : null;
    this.supervisor = new ConsumerSupervisor({
      isAlive: () => this.isAlive(),
      isRunning: () => this.state === 'running',
      crashed: (reason) => this.markCrashed(reason),
      replace: () => this.replace(),
      backingOff: (delay) => deps.log.warn(`Consumer ${this.id} (group ${this.groupId}) will get a new member in ${delay} ms.`),
      // The progress watchdog does not judge hosted members (see checkProgress).
      assignedKeys: () => [],
      progress: new Map(),
      fromBeginning: this.fromBeginning,
      partitionName: (k) => k,
    });
  }

  get memberId(): string | null {
    return this.currentMemberId;
  }

  view(): ConsumerView {
    return this.viewWith({ memberEpoch: this.memberEpoch, assignment: this.owned, ack: this.ack });
  }

  /** Asks the host for the member (resolves once it is subscribed; `joined` tells when it is in). */
  async start(actor: string): Promise<void> {
    let member: HostedMember;
    try {
      member = await this.deps.host.startMember(this.memberSpec(), this.reports(++this.incarnation));
    } catch (e) {
      this.state = 'stopped';
      this.early = null;
      throw e;
    }
    if (!this.isAlive()) {
      // Stopped or killed while it started (the service lists it from the start on, and a shutdown or a
      // student's removal stops it): its member must not run on in the host unseen.
      this.early = null;
      await this.retire(member);
      throw notRunning(this.id, this.state);
    }
    this.member = member;
    this.startedSeq = this.publish('consumer.started', actor).seq;
    const early = this.early ?? [];
    this.early = null;
    for (const play of early) play();
  }

  /** Ctrl-C: the member leaves the group (consumer.close), which reconciles at once. */
  async stop(actor: string): Promise<void> {
    await this.end('stopped', (m) => m.leave(LEAVE_DEADLINE_MS), 'could not leave cleanly');
    this.share?.memberLeft();
    this.publish('consumer.stopped', actor);
  }

  /** A crash: the member vanishes without a word; the group notices at its session timeout. */
  async kill(actor: string): Promise<void> {
    // A vanish the host refuses (it runs without its network cutter) leaves the member running: it
    // leaves instead, so nothing reads on unseen after a kill.
    const vanishOrLeave = (m: HostedMember) => m.vanish().catch(async (e: unknown) => {
      await m.leave(LEAVE_DEADLINE_MS);
      throw e;
    });
    await this.end('killed', vanishOrLeave, 'could not be made to vanish, so it left its group instead');
    this.share?.memberGone();
    this.publish('consumer.killed', actor);
  }

  /** The end of a live consumer: no more replacing, its member gone (how), everything it owned revoked. */
  private async end(state: 'stopped' | 'killed', how: (m: HostedMember) => Promise<void>, failure: string): Promise<void> {
    if (!this.isAlive()) throw notRunning(this.id, this.state);
    this.state = state;
    this.supervisor.cancel();
    const member = this.member;
    this.member = null;
    if (member) await how(member).catch((e) => this.deps.log.warn(`Consumer ${this.id} ${failure}: ${describeError(e)}`));
    this.revokeAll();
    this.ready.release();
  }

  /**
   * manual share consumers: accept, release or reject records this member holds (cluster topic names).
   * Answers with what Kafka said per partition, topics as the owner names them.
   */
  async acknowledge(acks: AckRequest[], actor: string): Promise<HostedAckResult[]> {
    if (this.protocol !== 'share' || this.ack !== 'manual') {
      throw conflict(`Consumer ${this.id} does not take acknowledgements: only share consumers started with "ack": "manual" do (this one is ${this.protocol === 'share' ? 'a share consumer with ack auto' : `a ${this.protocol} consumer`}).`);
    }
    if (this.state !== 'running' || !this.member) throw notRunning(this.id, this.state, ', so it holds no records');
    return this.share!.acknowledge(this.member, acks, actor);
  }

  // ---- the watchdogs ---------------------------------------------------------------------------
  // The Java client heartbeats on its own thread and the host reports a member whose loop died as
  // crashed: there is no silent stall to find. The progress watchdog judges by committed offsets,
  // which share groups do not have; consumer-protocol members commit on their own (auto commit).

  checkStalled(): boolean {
    return false;
  }

  checkProgress(): boolean {
    return false;
  }

  assignedKeys(): string[] {
    return [];
  }

  unknownPositions(): string[] {
    return [];
  }

  // ---- the member's lifecycle --------------------------------------------------------------------

  private memberSpec() {
    return {
      consumerId: this.id,
      protocol: this.protocol,
      groupId: this.clusterGroupId,
      topics: this.clusterTopics,
      clientId: `${CLIENT_ID_PREFIX}${this.id}`,
      fromBeginning: this.fromBeginning,
      ack: this.spec.ack,
    };
  }

  /** After a crash: a new member with the same consumer id (the supervisor retries with backoff). */
  private async replace(): Promise<void> {
    if (!this.isAlive()) return;
    const incarnation = ++this.incarnation;
    const member = await this.deps.host.startMember(this.memberSpec(), this.reports(incarnation));
    if (!this.isAlive() || incarnation !== this.incarnation) {
      // Stopped or killed while it started: it must not run on unseen.
      await this.retire(member);
      return;
    }
    this.member = member;
  }

  /** A member started for a consumer that ended meanwhile goes as the consumer did: it leaves, or vanishes when killed. */
  private retire(member: HostedMember): Promise<void> {
    const how = this.state === 'killed' ? member.vanish() : member.leave(LEAVE_DEADLINE_MS);
    return how.catch((e) => this.deps.log.warn(`Consumer ${this.id}: a member started as it ended could not be retired: ${describeError(e)}`));
  }

  /** The callbacks of one member; those of a member replaced since, or of a consumer stopped, are ignored. */
  private reports(incarnation: number): HostedMemberEvents {
    const guard =
      <A extends unknown[]>(fn: (...a: A) => void) =>
      (...a: A) => {
        if (this.early) return void this.early.push(() => guard(fn)(...a));
        if (incarnation !== this.incarnation || !this.isAlive()) return;
        try {
          fn(...a);
        } catch (e) {
          this.deps.log.error(`Consumer ${this.id}: a report of its member failed: ${describeError(e)}`);
        }
      };
    return {
      joined: guard((memberId: string, memberEpoch: number) => this.onJoined(memberId, memberEpoch)),
      rebalanced: guard((step: HostedRebalance) => this.onRebalanced(step)),
      records: guard((records: HostedRecord[]) => this.onRecords(records)),
      acknowledged: guard((results: HostedAckResult[]) => this.share?.acknowledged(results)),
      lockExpired: guard((records: Array<{ topic: string; partition: number; offset: string }>) => this.share?.lockExpired(records)),
      crashed: guard((reason: string) => {
        this.member = null;
        this.supervisor.crash(reason, false);
      }),
    };
  }

  private onJoined(memberId: string, memberEpoch: number): void {
    this.supervisor.touch();
    this.currentMemberId = memberId;
    this.memberEpoch = memberEpoch;
    if (this.state === 'crashed') {
      this.state = 'running';
      this.supervisor.recovered();
      this.publish('consumer.recovered', 'kafka');
    } else if (this.state === 'joining') {
      this.state = 'running';
    }
    // Ready at its first assignment step, or a little later (a member may be given nothing).
    this.ready.joined();
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => this.ready.fetched(this.state === 'running'), ASSIGNMENT_WAIT_MS);
    this.readyTimer.unref?.();
  }

  /** One reconciliation step, told as the protocol did it: only what moved, and what it owns after. */
  private onRebalanced(step: HostedRebalance): void {
    this.supervisor.touch();
    this.currentMemberId = step.memberId;
    this.memberEpoch = step.memberEpoch;
    this.owned = normalizeAssignment(step.owned);
    const revoked = normalizeAssignment(step.revoked);
    for (const tp of revoked) for (const p of tp.partitions) this.shownUpTo.delete(`${tp.topic}:${p}`);
    this.publishRebalance(normalizeAssignment(step.assigned), revoked);
    if (!isEmptyAssignment(this.owned)) this.ready.fetched(this.state === 'running');
  }

  private onRecords(records: HostedRecord[]): void {
    this.supervisor.touch();
    this.share?.delivered(records);
    const out: LabMessage[] = [];
    for (const r of records) {
      if (this.protocol === 'consumer') {
        // A new member (after a crash) reads again from the last commit: what was shown is not shown twice.
        const k = `${r.topic}:${r.partition}`;
        const next = this.shownUpTo.get(k);
        const offset = BigInt(r.offset);
        if (next !== undefined && offset < next) continue;
        this.shownUpTo.set(k, offset + 1n);
      }
      out.push(hostedToLabMessage(++this.seq, this.id, this.visibleName(r.topic), r));
    }
    if (out.length === 0) return;
    this.deliver(out);
    this.ready.fetched(this.state === 'running');
  }

  // ---- what the timeline is told -----------------------------------------------------------------

  private markCrashed(reason: string): void {
    this.revokeAll();
    this.share?.memberGone();
    if (this.state === 'crashed') return;
    this.state = 'crashed';
    this.deps.log.warn(`Consumer ${this.id} (group ${this.groupId}) crashed: ${reason}`);
    this.publish('consumer.crashed', 'kafka', { reason });
  }

  /** The member is gone (stop, kill, crash): everything it owned is revoked. */
  private revokeAll(): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    this.ready.gone();
    const revoked = this.owned;
    this.owned = [];
    if (!isEmptyAssignment(revoked)) this.publishRebalance([], revoked);
  }

  private publishRebalance(assigned: TopicPartitions[], revoked: TopicPartitions[]): void {
    this.deps.timeline.publish(
      {
        type: 'group.rebalanced',
        actor: 'kafka',
        groupId: this.clusterGroupId,
        consumerId: this.id,
        memberId: this.currentMemberId,
        // The new protocols have no generation: a member's epoch is what rises with each step.
        generation: this.memberEpoch,
        ...(this.memberEpoch !== null ? { memberEpoch: this.memberEpoch } : {}),
        protocol: this.protocol,
        assigned,
        revoked,
        owned: this.owned,
      },
      this.scope(),
    );
  }
}
