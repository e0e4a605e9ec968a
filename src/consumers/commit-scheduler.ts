import type { CommitIdentity, CommitOffset } from '../kafka/protocol';
import type { MemberGeneration } from './rebalance-story';

/**
 * Offsets are committed this long after the first message delivered since the last commit (and at
 * every rebalance and graceful stop). kafkajs's own auto-commit writes to __consumer_offsets after
 * every batch, inside the fetch loop: measured, that tripled produce→socket latency on 2 cores.
 */
export const COMMIT_DELAY_MS = 250;
/** A commit that failed (coordinator moving, member rejoining) is tried again after this. */
export const COMMIT_RETRY_MS = 1000;
export const COMMIT_TIMEOUT_MS = 3000;
/** A heartbeat counts as due this long before its interval is over (a batch takes about that). */
const HEARTBEAT_DUE_MARGIN_MS = 50;

export interface CommitSchedulerDeps {
  groupId: string;
  heartbeatIntervalMs: number;
  /** One OffsetCommit: Kafka's error code per `topic:partition`; rejects when nothing answered. */
  commit(who: CommitIdentity, offsets: CommitOffset[], timeoutMs: number): Promise<Map<string, number>>;
  /** Each assigned partition with something shown, and the offset after the last shown. */
  positions(): Array<{ topic: string; partition: number; next: bigint }>;
  /** Commits are scheduled only while the member is alive (none after a kill or stop). */
  isAlive(): boolean;
}

/**
 * When a member's offsets are committed: 250 ms after a delivery, with the delivery when a heartbeat
 * is due, at once when the group starts rebalancing, after a join as its generation, before a graceful
 * leave, and never after a kill. Commits run one after the other, each with the positions of its moment.
 */
export class CommitScheduler {
  /** Member id and generation to commit as: known once the join's generation is. */
  private member: MemberGeneration | null = null;
  /** Per assigned partition: the offset last committed for it. */
  private readonly committed = new Map<string, bigint>();
  private timer: NodeJS.Timeout | null = null;
  /** When the client last heartbeated: the next one, which may learn of a rebalance, is due an interval later. */
  private lastHeartbeatAt = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CommitSchedulerDeps) {}

  /** A join: commits wait for its generation (an older one would be refused anyway). Forgets partitions not kept. */
  joining(assigned: Iterable<string>): void {
    this.member = null;
    const keep = new Set(assigned);
    for (const k of [...this.committed.keys()]) if (!keep.has(k)) this.committed.delete(k);
  }

  /** The member's generation is known; after a join, what was kept through the rebalance is committed now. */
  generation(member: MemberGeneration, afterJoin: boolean): void {
    this.member = member;
    if (!afterJoin) return;
    this.cancel();
    this.schedule(0);
  }

  heartbeat(now = Date.now()): void {
    this.lastHeartbeatAt = now;
  }

  /**
   * Messages were just shown. kafkajs heartbeats right after this batch once an interval has passed,
   * and that heartbeat may be the one that learns of a rebalance: the commit is then sent now, ahead
   * of it, so it reaches the coordinator a round trip before this member's JoinGroup can, while the
   * group still waits for us, and a partition that moves to another member is not read again there.
   * Not awaited: waiting in the fetch loop stalls every partition (measured: p99 134 -> 174-204 ms).
   */
  delivered(now = Date.now()): void {
    if (now - this.lastHeartbeatAt >= this.deps.heartbeatIntervalMs - HEARTBEAT_DUE_MARGIN_MS) {
      this.cancel();
      void this.commitNow(COMMIT_TIMEOUT_MS).catch(() => undefined);
    } else {
      this.schedule(COMMIT_DELAY_MS);
    }
  }

  /** The group is rebalancing: commit what was shown while this generation may still commit. */
  rebalancing(): void {
    this.cancel();
    void this.commitNow(COMMIT_TIMEOUT_MS).catch(() => undefined);
  }

  /** A graceful leave: what was shown is committed first, so whoever takes the partitions starts after it. */
  async beforeLeave(timeoutMs: number): Promise<void> {
    this.cancel();
    await this.commitNow(Math.min(COMMIT_TIMEOUT_MS, timeoutMs)).catch(() => undefined);
  }

  /** No commit is scheduled any more (a kill commits nothing: the next owner reads again from the last commit). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.timer || !this.deps.isAlive()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.deps.isAlive()) void this.commitNow(COMMIT_TIMEOUT_MS).catch(() => undefined);
    }, delayMs);
    this.timer.unref?.();
  }

  /** Commits every assigned partition whose shown position is past its last commit, after those under way. */
  private commitNow(timeoutMs: number): Promise<void> {
    const run = this.chain.then(() => this.commitOnce(timeoutMs));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async commitOnce(timeoutMs: number): Promise<void> {
    const member = this.member;
    if (!member) return;
    const offsets: CommitOffset[] = [];
    for (const { topic, partition, next } of this.deps.positions()) {
      const done = this.committed.get(`${topic}:${partition}`);
      if (done === undefined || next > done) offsets.push({ topic, partition, offset: next.toString() });
    }
    if (offsets.length === 0) return;
    let codes: Map<string, number> | null = null;
    try {
      codes = await this.deps.commit({ groupId: this.deps.groupId, ...member }, offsets, timeoutMs);
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
    if (failed) this.schedule(COMMIT_RETRY_MS);
  }
}
