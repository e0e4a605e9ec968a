/**
 * Guessing the join code: after LIMIT wrong codes from one address within WINDOW_MS, that address
 * waits until the oldest of them is a window old. Only wrong codes count, so a class behind one NAT
 * address joining with the right code is never held up.
 */
export const JOIN_FAILURE_LIMIT = 10;
export const JOIN_WINDOW_MS = 60_000;
/** Addresses remembered at most; past it the stalest are forgotten (a flood of addresses must not grow memory). */
const MAX_ADDRESSES = 10_000;

export class JoinLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds this address must wait before trying a code again, or 0. */
  waitSeconds(address: string): number {
    const recent = this.recent(address);
    if (recent.length < JOIN_FAILURE_LIMIT) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - JOIN_FAILURE_LIMIT] + JOIN_WINDOW_MS - this.now()) / 1000));
  }

  failed(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    // Re-inserted so the Map's order is least recently failed first.
    this.failures.delete(address);
    this.failures.set(address, recent);
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value as string);
  }

  private recent(address: string): number[] {
    const since = this.now() - JOIN_WINDOW_MS;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (kept.length) this.failures.set(address, kept);
    else this.failures.delete(address);
    return kept;
  }
}
