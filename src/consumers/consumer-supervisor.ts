import { PartitionEnds, Progress, stuckPartitions } from './partition-progress';

export const BACKOFF_FIRST_MS = 1000;
export const BACKOFF_MAX_MS = 15_000;

export interface SupervisorDeps {
  /** Still a member or trying to become one again (joining, running, crashed). */
  isAlive(): boolean;
  /** Running with an assignment (only then can partitions be stuck). */
  isRunning(): boolean;
  /** Shows the member as crashed, saying why (once per crash). */
  crashed(reason: string): void;
  /** Replaces the client's member with a new one; rejects when the new one cannot start. */
  replace(): Promise<void>;
  /** Says that a new member will be tried in `delayMs`. */
  backingOff(delayMs: number): void;
  /** For the progress watchdog: what is assigned, where showing stands, and how a partition is named. */
  assignedKeys(): string[];
  progress: Map<string, Progress>;
  fromBeginning: boolean;
  partitionName(key: string): string;
}

/**
 * Keeps one consumer alive: a crash the client does not restart from, a stall (no sign of life), or a
 * partition left unread while messages wait there, replaces the member, with a growing backoff while
 * replacing fails. A join after a crash (`recovered`) resets the backoff.
 */
export class ConsumerSupervisor {
  /** Last sign of life from the client (fetch, heartbeat, join, crash), for the stall check. */
  lastActivity = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private replacing = false;
  private failures = 0;

  constructor(private readonly deps: SupervisorDeps) {}

  touch(now = Date.now()): void {
    this.lastActivity = now;
  }

  /** A crash. With `restarting` the client starts the same consumer again itself; its join means recovered. */
  crash(reason: string, restarting: boolean): void {
    this.touch();
    this.deps.crashed(reason);
    if (!restarting) this.scheduleReplace();
  }

  recovered(): void {
    this.failures = 0;
  }

  /** No more replacing (stop, kill). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * The watchdog's check: a live consumer with no fetch, heartbeat or other sign of life for longer
   * than `thresholdMs` is stuck (kafkajs can stall after its coordinator dies): replace it.
   */
  checkStalled(now: number, thresholdMs: number): boolean {
    if (!this.deps.isAlive() || this.busy()) return false;
    const silent = now - this.lastActivity;
    if (silent <= thresholdMs) return false;
    this.replaceNow(`it showed no sign of life (no fetch or heartbeat) for ${Math.round(silent / 1000)} s`);
    return true;
  }

  /**
   * The progress watchdog's check (see partition-progress.ts): a consumer that holds partitions with
   * unread messages and reads nothing from them for `thresholdMs` is replaced, like a stalled one.
   */
  checkProgress(ends: Map<string, PartitionEnds>, committed: Map<string, bigint | null>, now: number, thresholdMs: number): boolean {
    if (!this.deps.isRunning() || this.busy()) return false;
    const d = this.deps;
    const stuck = stuckPartitions(d.assignedKeys(), d.progress, ends, committed, d.fromBeginning, now, thresholdMs);
    if (stuck.length === 0) return false;
    const names = stuck.map((k) => d.partitionName(k));
    this.replaceNow(`it read nothing from ${names.join(', ')} for ${Math.round(thresholdMs / 1000)} s although unread messages wait there`);
    return true;
  }

  /** Assigned partitions with messages whose read position is not known yet (the group's commit will tell). */
  unknownPositions(ends: Map<string, PartitionEnds>): string[] {
    return this.deps.assignedKeys().filter((k) => {
      const e = ends.get(k);
      return this.deps.progress.get(k)?.next === null && !!e && e.latest !== null && e.earliest !== null && BigInt(e.latest) > BigInt(e.earliest);
    });
  }

  private busy(): boolean {
    return this.timer !== null || this.replacing;
  }

  private replaceNow(reason: string): void {
    this.deps.crashed(reason);
    this.touch();
    void this.replace();
  }

  private async replace(): Promise<void> {
    if (!this.deps.isAlive() || this.replacing) return;
    this.replacing = true;
    try {
      await this.deps.replace();
    } catch (e) {
      if (this.deps.isAlive()) {
        this.deps.crashed(describeError(e));
        this.scheduleReplace();
      }
    } finally {
      this.replacing = false;
    }
  }

  private scheduleReplace(): void {
    if (this.timer || !this.deps.isAlive()) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    this.deps.backingOff(delay);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.replace();
    }, delay);
    this.timer.unref?.();
  }
}

/** An error as one line: its name when it has a telling one, and its message. */
export function describeError(e: unknown): string {
  const err = e as { name?: string; message?: string };
  const msg = err?.message ?? String(e);
  return err?.name && err.name !== 'Error' ? `${err.name}: ${msg}` : msg;
}
