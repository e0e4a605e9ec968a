import type { LiveBroker } from '../../kafka/cluster-link';
import { parseBrokerAddresses } from '../../kafka/protocol';
import type { NodeState, NodeView } from '../cluster.types';
import type { ClusterObserver, Observation, ObservedNodeEvent } from './cluster-driver';

/** Polls in a row that no broker answered before every broker shows `unreachable` (one may be a hiccup). */
export const FAILED_POLLS_BEFORE_UNREACHABLE = 2;

export interface LivenessChange {
  id: number;
  /** `new`: a broker not seen before. */
  from: NodeState | 'new';
  to: 'running' | 'unreachable';
}

/**
 * The brokers expected (every broker seen so far, with its state) against the brokers the cluster
 * lists as live now: which left (→ unreachable), which came back or are new (→ running). By id.
 */
export function diffLiveness(known: ReadonlyMap<number, NodeState>, live: readonly number[]): LivenessChange[] {
  const liveSet = new Set(live);
  const out: LivenessChange[] = [];
  for (const [id, state] of known) {
    if (!liveSet.has(id) && state !== 'unreachable') out.push({ id, from: state, to: 'unreachable' });
  }
  for (const id of liveSet) {
    const state = known.get(id);
    if (state === undefined) out.push({ id, from: 'new', to: 'running' });
    else if (state !== 'running') out.push({ id, from: state, to: 'running' });
  }
  return out.sort((a, b) => a.id - b.id);
}

/**
 * An existing cluster's brokers as the cluster itself reports them: Metadata lists only registered,
 * unfenced brokers, so a broker that is killed, stopped, paused or cut off leaves the list (once the
 * controller fences it) and shows `unreachable`; when it is listed again it shows `running`. Until
 * the cluster first answers, the configured bootstrap servers stand in for its brokers.
 */
export class ObservedBrokers implements ClusterObserver {
  private readonly known = new Map<number, NodeView>();
  private placeholders: NodeView[];
  private answered = false;
  private id: string | null = null;
  private failedPolls = 0;

  constructor(
    private readonly bootstrap: readonly string[],
    private readonly now: () => Date = () => new Date(),
  ) {
    const since = now().toISOString();
    this.placeholders = parseBrokerAddresses(bootstrap).map((a, i) => ({ id: i, role: 'broker', state: 'starting', host: a.host, port: a.port, since }));
  }

  bootstrapServers(): string[] {
    return [...this.bootstrap];
  }

  clusterId(): string | null {
    return this.id;
  }

  nodes(): NodeView[] {
    const list = this.answered ? [...this.known.values()] : this.placeholders;
    return list.map((n) => ({ ...n })).sort((a, b) => a.id - b.id);
  }

  observe(live: LiveBroker[] | null, clusterId?: string | null): Observation {
    if (live === null) return this.noAnswer();
    this.failedPolls = 0;
    if (clusterId) this.id = clusterId;
    const first = !this.answered;
    this.answered = true;
    let changed = first;
    const events: ObservedNodeEvent[] = [];
    const since = this.now().toISOString();
    const byId = new Map(live.map((b) => [b.id, b]));
    for (const b of live) {
      const n = this.known.get(b.id);
      if (n && (n.host !== b.host || n.port !== b.port)) {
        Object.assign(n, { host: b.host, port: b.port });
        changed = true;
      }
    }
    const states = new Map([...this.known].map(([id, n]) => [id, n.state]));
    for (const c of diffLiveness(states, live.map((b) => b.id))) {
      changed = true;
      if (c.to === 'running') {
        const b = byId.get(c.id)!;
        this.known.set(c.id, { id: c.id, role: 'broker', state: 'running', host: b.host, port: b.port, since });
        // The brokers found at the first answer were there before us: nothing happened to them.
        if (!first) {
          events.push(event('node.started', c.id, c.from === 'new' ? `Broker ${c.id} joined the cluster.` : `Kafka lists broker ${c.id} among its live brokers again.`));
        }
      } else {
        const reason = `Kafka no longer lists broker ${c.id} among its live brokers: it stopped, crashed, froze or lost touch with the controller.`;
        this.leave(this.known.get(c.id)!, reason, since);
        events.push(event('node.crashed', c.id, reason));
      }
    }
    return { changed, events };
  }

  /** No broker answered: after a second poll in a row, every broker shows unreachable. */
  private noAnswer(): Observation {
    if (++this.failedPolls < FAILED_POLLS_BEFORE_UNREACHABLE) return { changed: false, events: [] };
    const reason = `No broker of the cluster answers at ${this.bootstrap.join(', ')}.`;
    const since = this.now().toISOString();
    const events: ObservedNodeEvent[] = [];
    let changed = false;
    for (const n of this.answered ? this.known.values() : this.placeholders) {
      if (n.state === 'unreachable') continue;
      this.leave(n, reason, since);
      changed = true;
      if (this.answered) events.push(event('node.crashed', n.id, reason));
    }
    return { changed, events };
  }

  private leave(n: NodeView, reason: string, since: string): void {
    n.state = 'unreachable';
    n.reason = reason;
    n.since = since;
  }
}

function event(type: ObservedNodeEvent['type'], nodeId: number, reason: string): ObservedNodeEvent {
  return { type, actor: 'kafka', nodeId, role: 'broker', reason };
}
