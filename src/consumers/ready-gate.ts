/**
 * When a new consumer counts as ready: it has joined and completed a fetch, so its start offsets are
 * fixed and whatever is produced afterwards is surely received. Waiters are let go then, when the
 * consumer is gone, or at their own deadline.
 */
export class ReadyGate {
  private fetchedSinceJoin = false;
  private waiters: Array<() => void> = [];

  /** Ready when running and fetched since the last join. */
  isReady(running: boolean): boolean {
    return running && this.fetchedSinceJoin;
  }

  /** A join: not ready again until its first fetch. */
  joined(): void {
    this.fetchedSinceJoin = false;
  }

  /** A fetch completed; the first one after a join of a running consumer makes it ready. */
  fetched(running: boolean): void {
    if (!running || this.fetchedSinceJoin) return;
    this.fetchedSinceJoin = true;
    this.release();
  }

  /** The member is gone (revoked); waiters are let go by `release` when the consumer stops for good. */
  gone(): void {
    this.fetchedSinceJoin = false;
  }

  /** A consumer's whenReady: at once when ready or gone, else when released or after `timeoutMs`. */
  whenReady(running: boolean, alive: boolean, timeoutMs: number): Promise<void> {
    if (this.isReady(running) || !alive) return Promise.resolve();
    return this.wait(timeoutMs);
  }

  /** Resolves when released or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  release(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
