import * as net from 'node:net';
import { LabError, conflict } from '../common/lab-error';
import { fetchMetadata } from '../kafka/protocol';
import { label } from './node-actions';
import type { NodeRecord, NodeStore } from './node-store';

/** How a starting node is asked whether it serves yet. */
export interface ReadinessProbes {
  /** A controller is ready when its port takes connections. */
  controller(host: string, port: number): Promise<boolean>;
  /** A broker is ready when it answers a metadata request and lists itself among the live brokers. */
  broker(host: string, port: number, id: number): Promise<boolean>;
}

/**
 * Asking the broker itself matters: right after a kill the others still list it until the controller
 * fences it, and a restarted broker opens its port only when it is ready. One small Metadata request
 * (no topics) over our wire client: no admin client is opened per probe.
 */
export const wireProbes: ReadinessProbes = {
  controller: portOpen,
  async broker(host, port, id) {
    try {
      const md = await fetchMetadata({ host, port }, [], { timeoutMs: 2000, clientId: 'kafka-lab-readiness' });
      return md.brokers.some((b) => b.nodeId === id);
    } catch {
      return false;
    }
  },
};

/** Replaces the wire probes (tests; the service uses wireProbes when nothing is provided). */
export const READINESS_PROBES = Symbol('READINESS_PROBES');

export interface ReadinessHooks {
  isAlive(id: number): boolean;
  /** Why the node cannot become ready now whatever it does (a broker without a running controller), or null. */
  blocker(n: NodeRecord): string | null;
  /**
   * The node stays `starting` past the deadline (`blocked` null), or it has been blocked for
   * BLOCKED_GRACE_MS (`blocked` says by what): the service ends it and says why.
   */
  overdue(n: NodeRecord, blocked: string | null): Promise<void>;
}

/** How long a starting node may stay blocked (e.g. its controller paused) before it is ended. */
export const BLOCKED_GRACE_MS = 10_000;

const PROBE_EVERY_MS = 250;
const WAIT_POLL_MS = 100;

/**
 * Watches every `starting` node: probes it every 250 ms until it serves (then `running`), and hands it
 * to `overdue` once it has been starting longer than the node deadline, so no node shows `starting`
 * for ever. Callers that want to answer only once nodes serve await `waitReady`.
 */
export class Readiness {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private closed = false;
  /** Since when each starting node has been blocked. */
  private readonly blockedSince = new Map<number, number>();

  constructor(
    private readonly store: NodeStore,
    private readonly hooks: ReadinessHooks,
    private readonly deadlineMs: number,
    private readonly probes: ReadinessProbes = wireProbes,
  ) {}

  /** Starts the probe loop if it does not run (it stops by itself when no node is starting). */
  watch(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.tick(), PROBE_EVERY_MS);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round of probes; public for tests. */
  async tick(): Promise<void> {
    if (this.inFlight) return;
    const starting = this.store.all().filter((n) => n.state === 'starting');
    for (const id of this.blockedSince.keys()) if (!starting.some((n) => n.id === id)) this.blockedSince.delete(id);
    if (starting.length === 0) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    this.inFlight = true;
    try {
      await Promise.all(starting.map(async (n) => {
        // Counted from the launch (formatting and waiting for earlier nodes do not count).
        if (Date.now() - Math.max(Date.parse(n.since), n.launchedAt ?? 0) > this.deadlineMs) {
          await this.hooks.overdue(n, null);
          return;
        }
        // A broker whose controller went away while it started waits for ever: give it a short grace
        // (a controller being restarted), then end it with the reason instead of at the deadline.
        const blocked = this.hooks.blocker(n);
        if (!blocked) this.blockedSince.delete(n.id);
        else if (!this.blockedSince.has(n.id)) this.blockedSince.set(n.id, Date.now());
        else if (Date.now() - this.blockedSince.get(n.id)! >= BLOCKED_GRACE_MS) {
          this.blockedSince.delete(n.id);
          await this.hooks.overdue(n, blocked);
          return;
        }
        // Only a live process is asked: a controller's probe accepts any listener on its port.
        if (!this.hooks.isAlive(n.id)) return;
        const ok = n.role === 'controller' ? await this.probes.controller(n.host, n.port) : await this.probes.broker(n.host, n.port, n.id);
        // It may have died or been stopped while the probe ran.
        if (ok && n.state === 'starting' && this.hooks.isAlive(n.id)) this.store.setState(n, 'running');
      }));
    } finally {
      this.inFlight = false;
    }
  }

  /** Resolves when every node in `ids` is running; rejects with the first failure's sentence. */
  async waitReady(ids: number[], current: () => boolean = () => true): Promise<void> {
    const failure = await this.settle(ids, current);
    if (failure) throw failure;
  }

  /**
   * Waits until none of `ids` is starting any more (each running, or ended: crashed with its reason,
   * stopped or killed by someone meanwhile), and returns the error to answer with, or null when all
   * run. Also returns at once when `current()` turns false (a reset took over).
   */
  async settle(ids: number[], current: () => boolean = () => true): Promise<LabError | null> {
    this.watch();
    // A backstop only: the loop ends a starting node at the deadline, which ends this wait.
    const backstop = Date.now() + this.deadlineMs + 10_000;
    for (;;) {
      if (!current()) return conflict(`${this.names(ids)} did not finish starting: a reset of the cluster took over.`);
      const nodes = ids.map((id) => this.store.get(id)).filter((n): n is NodeRecord => n !== undefined);
      if (nodes.every((n) => n.state !== 'starting')) {
        const failed = nodes.filter((n) => n.state !== 'running');
        if (failed.length === 0) return null;
        const crashed = failed.filter((n) => n.state === 'crashed');
        // Blocked by something outside Kafka (a held port, no controller): the state conflicts, a 409.
        const why = crashed.map((n) => `${label(n)} could not start: ${n.reason ?? 'it exited'}`).join('; ') + '.';
        if (crashed.length) {
          if (crashed.every((n) => n.blocked)) return conflict(why);
          // A driver or a missing Kafka/Java says so with its own code (not retriable): answered as is.
          const coded = crashed.find((n) => !n.blocked && n.failure);
          return new LabError(coded?.failure ?? 'KAFKA_UNAVAILABLE', why);
        }
        return conflict(failed.map((n) => `${label(n)} did not finish starting: it is ${n.state} now`).join('; ') + '.');
      }
      if (Date.now() > backstop) {
        return new LabError('TIMEOUT', `${this.names(ids)} did not become ready within ${Math.round(this.deadlineMs / 1000)} s.`);
      }
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
  }

  private names(ids: number[]): string {
    return ids.map((id) => this.store.get(id)).filter((n): n is NodeRecord => !!n).map(label).join(', ') || `node ${ids.join(', ')}`;
  }
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
