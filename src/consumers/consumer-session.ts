import { Logger } from '@nestjs/common';
import type { ClassicMember, ClassicMemberFactory, ConsumedBatch } from '../kafka/classic-consumer';
import type { CommitIdentity, CommitOffset } from '../kafka/protocol';
import { LabMessage, LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { TopicPartitions } from './assignment-diff';
import { CommitScheduler } from './commit-scheduler';
import { toLabMessage } from './consumed-message';
import { ConsumerBase, SessionSpec } from './consumer-base';
import { ConsumerSupervisor, describeError } from './consumer-supervisor';
import { LabConsumer, notRunning } from './lab-consumer';
import { CLIENT_ID_PREFIX, ConsumerView } from './consumer.types';
import { PartitionEnds } from './partition-progress';
import { RebalanceStory } from './rebalance-story';

/** How long a graceful disconnect (LeaveGroup) may take before the sockets are cut anyway. */
const RETIRE_DEADLINE_MS = 5000;
/** How long a member being replaced may take to leave. */
const REPLACE_DEADLINE_MS = 2000;

export interface SessionDeps {
  /** Makes a group member (src/kafka/classic-consumer.ts). */
  members: ClassicMemberFactory;
  /** One OffsetCommit as a member (KafkaService.commitOffsets). */
  commitOffsets(who: CommitIdentity, offsets: CommitOffset[], timeoutMs: number): Promise<Map<string, number>>;
  timeline: Pick<TimelineService, 'publish' | 'lastSeq'>;
  bus: LiveBus;
  sessionTimeoutMs: number;
  log: Logger;
}


/**
 * One API consumer: its group member(s), what it received, and its story. Keyed by our own id: the
 * client gives a new memberId each time it restarts a member. The seams are units of their own: the
 * rebalance story (rebalance-story.ts), when offsets are committed (commit-scheduler.ts), and keeping
 * it alive (consumer-supervisor.ts); this class wires them to the member's events and delivers.
 */
export class ConsumerSession extends ConsumerBase implements LabConsumer {
  readonly protocol = 'classic' as const;

  /** The member under way; a crash without restart, or a stall, replaces it while the session stays. */
  private member: ClassicMember | null = null;
  private readonly story: RebalanceStory;
  private readonly commits: CommitScheduler;
  private readonly supervisor: ConsumerSupervisor;

  constructor(spec: SessionSpec, private readonly deps: SessionDeps) {
    super(spec, deps);
    this.story = new RebalanceStory({
      rebalanced: (memberId, generation, assigned, revoked) => this.publishRebalance(memberId, generation, assigned, revoked),
      generation: (member, afterJoin) => this.commits.generation(member, afterJoin),
    });
    this.commits = new CommitScheduler({
      groupId: this.clusterGroupId,
      heartbeatIntervalMs: this.heartbeatIntervalMs(),
      commit: (who, offsets, timeoutMs) => deps.commitOffsets(who, offsets, timeoutMs),
      positions: () => this.story.positions(),
      isAlive: () => this.isAlive(),
    });
    this.supervisor = new ConsumerSupervisor({
      isAlive: () => this.isAlive(),
      isRunning: () => this.state === 'running',
      crashed: (reason) => this.markCrashed(reason),
      replace: () => this.replace(),
      backingOff: (delay) => deps.log.warn(`Consumer ${this.id} (group ${this.groupId}) will be recreated in ${delay} ms.`),
      assignedKeys: () => this.assignedKeys(),
      progress: this.story.progress,
      fromBeginning: this.fromBeginning,
      partitionName: (k) => {
        const i = k.lastIndexOf(':');
        return `${this.visibleName(k.slice(0, i))} [${k.slice(i + 1)}]`;
      },
    });
  }

  get memberId(): string | null {
    return this.story.memberId;
  }

  /** Last sign of life from the client (fetch, heartbeat, join, crash), for the watchdog. */
  get lastActivity(): number {
    return this.supervisor.lastActivity;
  }

  view(): ConsumerView {
    return this.viewWith({ assignment: this.story.assignment });
  }

  /**
   * Connects, subscribes and joins the group (resolves after the first join or crash).
   * Throws when the cluster cannot be reached at all; the session is then left with nothing running.
   */
  async start(actor: string): Promise<void> {
    const member = this.launch();
    try {
      await member.start(() => (this.startedSeq = this.publish('consumer.started', actor).seq));
    } catch (e) {
      this.state = 'stopped';
      await this.retire(member, 0);
      throw e;
    }
  }

  /** Resolves once the consumer has joined and completed a fetch (so its start offsets are fixed), or at the deadline. */
  /** Ctrl-C: leave the group cleanly (LeaveGroup), so it rebalances at once. */
  async stop(actor: string): Promise<void> {
    if (!this.isAlive()) throw notRunning(this.id, this.state);
    this.state = 'stopped';
    this.supervisor.cancel();
    if (this.member) await this.retire(this.member, RETIRE_DEADLINE_MS);
    this.revokeAll();
    this.ready.release();
    this.publish('consumer.stopped', actor);
  }

  /** A crash: sockets cut, no LeaveGroup; the group finds out only when the session timeout runs out. */
  kill(actor: string): void {
    if (!this.isAlive()) throw notRunning(this.id, this.state);
    this.state = 'killed';
    this.supervisor.cancel();
    // A crash commits nothing more: whoever takes its partitions reads again from the last commit.
    this.commits.cancel();
    this.member?.cut();
    this.revokeAll();
    this.ready.release();
    this.publish('consumer.killed', actor);
  }

  /** See ConsumerSupervisor.checkStalled. */
  checkStalled(now: number, thresholdMs: number): boolean {
    return this.supervisor.checkStalled(now, thresholdMs);
  }

  /** See ConsumerSupervisor.checkProgress. */
  checkProgress(ends: Map<string, PartitionEnds>, committed: Map<string, bigint | null>, now: number, thresholdMs: number): boolean {
    return this.supervisor.checkProgress(ends, committed, now, thresholdMs);
  }

  /** The assigned partitions (`topic:partition`, cluster names) of a running consumer. */
  assignedKeys(): string[] {
    if (this.state !== 'running') return [];
    return this.story.assignedKeys();
  }

  /** See ConsumerSupervisor.unknownPositions. */
  unknownPositions(ends: Map<string, PartitionEnds>): string[] {
    return this.supervisor.unknownPositions(ends);
  }

  // ---- the member's lifecycle --------------------------------------------------------------

  private launch(): ClassicMember {
    this.story.restart();
    const member = this.deps.members(
      {
        clientId: `${CLIENT_ID_PREFIX}${this.id}`,
        groupId: this.clusterGroupId,
        topics: this.clusterTopics,
        fromBeginning: this.fromBeginning,
        sessionTimeoutMs: this.deps.sessionTimeoutMs,
        heartbeatIntervalMs: this.heartbeatIntervalMs(),
        mayRestart: () => member === this.member && this.isAlive(),
      },
      {
        joined: (memberId, assignment, generation) => this.onJoin(memberId, assignment, generation),
        heartbeat: (memberId, generation) => this.onHeartbeat(memberId, generation),
        fetchStarted: () => this.supervisor.touch(),
        fetched: () => this.onFetch(),
        rebalancing: () => this.onRebalancing(),
        crashed: (error, restarting) => this.isAlive() && this.supervisor.crash(describeError(error), restarting),
        batch: (batch) => this.onBatch(batch),
      },
    );
    this.member = member;
    return member;
  }

  /** Graceful leave (LeaveGroup) within `deadlineMs`, what was shown committed first; 0 cuts at once. */
  private async retire(member: ClassicMember, deadlineMs: number): Promise<void> {
    member.detach();
    if (deadlineMs <= 0) {
      this.commits.cancel();
      member.cut();
      return;
    }
    // kafkajs leaves without committing; nothing more is shown from here on.
    await this.commits.beforeLeave(deadlineMs);
    await member.leave(deadlineMs);
  }

  /** Replaces the member after a crash without restart or a stall; our id stays. */
  private async replace(): Promise<void> {
    if (this.member) await this.retire(this.member, REPLACE_DEADLINE_MS);
    if (!this.isAlive()) return;
    await this.launch().start();
  }

  // ---- the member's events (called inside the client's loops: keep them cheap) -------------

  private onJoin(memberId: string, assignment: Record<string, number[]>, generation: number | null): void {
    if (!this.isAlive()) return;
    this.supervisor.touch();
    this.ready.joined();
    this.commits.joining(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    if (this.state === 'crashed') {
      this.state = 'running';
      this.supervisor.recovered();
      this.publish('consumer.recovered', 'kafka');
    } else if (this.state === 'joining') {
      this.state = 'running';
    }
    this.story.joined(memberId, assignment, generation);
  }

  private onHeartbeat(memberId: string, generation: number): void {
    this.supervisor.touch();
    this.commits.heartbeat();
    this.story.heartbeat(memberId, generation);
  }

  private onFetch(): void {
    this.supervisor.touch();
    this.ready.fetched(this.state === 'running');
  }

  private onRebalancing(): void {
    if (!this.isAlive()) return;
    this.supervisor.touch();
    this.story.rebalancing();
    this.commits.rebalancing();
  }

  private async onBatch(batch: ConsumedBatch): Promise<void> {
    // Unresolved, these records are read again after the rejoin, by this member or the next owner.
    if (!this.isAlive() || !this.story.open) return;
    const key = `${batch.topic}:${batch.partition}`;
    // After a rejoin or a recovery the client starts again from the last commit; what this consumer
    // has shown already is not shown twice.
    const shown = this.story.shownUpTo(key);
    const visible = this.visibleName(batch.topic);
    const out: LabMessage[] = [];
    for (const r of batch.records) {
      if (!batch.current()) break;
      batch.resolve(r.offset);
      if (shown !== null && BigInt(r.offset) < shown) continue;
      out.push(toLabMessage(++this.seq, this.id, visible, batch.partition, r));
    }
    if (out.length === 0) return;
    this.story.shown(key, BigInt(out[out.length - 1].offset) + 1n);
    this.deliver(out);
    this.commits.delivered();
  }

  /** ~1/10 of the session: a member notices a rebalance quickly, and one missed beat is harmless. */
  private heartbeatIntervalMs(): number {
    return Math.max(300, Math.floor(this.deps.sessionTimeoutMs / 10));
  }

  // ---- what the timeline is told -----------------------------------------------------------

  /** The member is gone (stop, kill, crash): everything it had is revoked. */
  private revokeAll(): void {
    this.story.revokeAll();
    this.ready.gone();
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
      // The story's assignment is already the one after this change: what the member owns now.
      { type: 'group.rebalanced', actor: 'kafka', groupId: this.clusterGroupId, consumerId: this.id, memberId, generation, protocol: 'classic', assigned, revoked, owned: this.story.assignment },
      this.scope(),
    );
  }

}
