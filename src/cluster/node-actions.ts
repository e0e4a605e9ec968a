import type { NodeRole, NodeState } from './cluster.types';
import type { ClusterDriver } from './drivers/cluster-driver';

/** The five things a person may do to one node (POST /api/cluster/nodes/{id}/<action>). */
export type NodeActionName = 'start' | 'stop' | 'kill' | 'pause' | 'resume';
export const NODE_ACTION_NAMES: readonly NodeActionName[] = ['start', 'stop', 'kill', 'pause', 'resume'];

export type NodeEventType = 'node.started' | 'node.stopped' | 'node.killed' | 'node.paused' | 'node.resumed';

/** What an action needs from the service: the driver, and the whole bring-up (files, checks, spawn) for `start`. */
export interface NodeActionContext {
  driver: ClusterDriver;
  bringUp(id: number): Promise<void>;
  /** How long a node's controlled shutdown may take before it is killed. */
  gracefulStopMs(id: number): number;
}

/** Facts about a node that decide whether an action may run now. */
export interface NodeFacts {
  id: number;
  role: NodeRole;
  state: NodeState;
  /** Whether the driver has a live process/container for it (paused counts as alive). */
  alive: boolean;
}

export interface NodeAction {
  name: NodeActionName;
  /** The states in which the action makes sense; in any other, the call is a 409 with `refusal`. */
  allowedIn: readonly NodeState[];
  /** The process must be alive (stop, kill, pause, resume) or gone (start). */
  needsAlive: boolean;
  /** The state shown as soon as the call is taken (so a caller that does not wait sees it), if any. */
  announce?: NodeState;
  /** What the driver does. */
  drive(ctx: NodeActionContext, id: number): Promise<void>;
  /** `done`: the node is in `after` once the driver is done. `ready`: it is `starting` until it serves. */
  settle: { kind: 'done'; after: NodeState } | { kind: 'ready' };
  event: NodeEventType;
  /** When the event is published: once the driver is done, or once the node serves. */
  eventAt: 'driven' | 'ready';
  /** While in progress, the node is about to go: clients are pointed at other brokers first. */
  leaving: boolean;
  /** The 409 sentence when the node's state does not allow the action. */
  refusal(n: NodeFacts): string;
}

/** The node's name in sentences: "broker 2", "controller 100". */
export const label = (n: { id: number; role: NodeRole }) => `${n.role} ${n.id}`;

const ALIVE: readonly NodeState[] = ['running', 'starting', 'paused'];
const GONE: readonly NodeState[] = ['stopped', 'killed', 'crashed'];
const notRunning = (verb: string) => (n: NodeFacts) => `Cannot ${verb} ${label(n)}: it is not running (it is ${n.state}).`;

/**
 * The one table of node actions: which states allow each, what the driver does, what the node shows
 * afterwards, which timeline event says so, and the sentence when it is refused. The service runs
 * every action through it; the controller only names the action.
 */
export const NODE_ACTIONS: Record<NodeActionName, NodeAction> = {
  start: {
    name: 'start',
    allowedIn: GONE,
    needsAlive: false,
    // No announce: the node shows `starting` once its process is launched (bringUp), `pending` before.
    drive: (ctx, id) => ctx.bringUp(id),
    settle: { kind: 'ready' },
    event: 'node.started',
    eventAt: 'ready',
    leaving: false,
    refusal: (n) => (n.state === 'paused' ? `${label(n)} is already running (paused: resume it).`
      : GONE.includes(n.state) ? `${label(n)} is still shutting down; start it again in a moment.`
        : `${label(n)} is already ${n.state}.`),
  },
  stop: {
    name: 'stop',
    allowedIn: ALIVE,
    needsAlive: true,
    drive: (ctx, id) => ctx.driver.stop(id, ctx.gracefulStopMs(id)),
    settle: { kind: 'done', after: 'stopped' },
    event: 'node.stopped',
    eventAt: 'driven',
    leaving: true,
    refusal: notRunning('stop'),
  },
  kill: {
    name: 'kill',
    allowedIn: ALIVE,
    needsAlive: true,
    drive: (ctx, id) => ctx.driver.kill(id),
    settle: { kind: 'done', after: 'killed' },
    event: 'node.killed',
    eventAt: 'driven',
    leaving: true,
    refusal: notRunning('kill'),
  },
  pause: {
    name: 'pause',
    allowedIn: ['running', 'starting'],
    needsAlive: true,
    drive: (ctx, id) => ctx.driver.pause(id),
    settle: { kind: 'done', after: 'paused' },
    event: 'node.paused',
    eventAt: 'driven',
    leaving: false,
    refusal: (n) => (n.state === 'paused' && n.alive ? `${label(n)} is already paused.` : notRunning('pause')(n)),
  },
  resume: {
    name: 'resume',
    allowedIn: ['paused'],
    needsAlive: true,
    drive: (ctx, id) => ctx.driver.resume(id),
    // Back to starting until it answers again: a long pause may have fenced it.
    settle: { kind: 'ready' },
    event: 'node.resumed',
    eventAt: 'driven',
    leaving: false,
    refusal: (n) => `${label(n)} is not paused (it is ${n.state}).`,
  },
};

/** Null when `action` may run on the node now; otherwise the sentence of the 409. */
export function refusalOf(action: NodeActionName, n: NodeFacts): string | null {
  const a = NODE_ACTIONS[action];
  return a.allowedIn.includes(n.state) && n.alive === a.needsAlive ? null : a.refusal(n);
}

/** The most brokers a lab cluster may have (API.md: a 10th is a 409). */
export const MAX_BROKERS = 9;

/** Null when one more broker may be added to a cluster of `brokers`; otherwise the 409's sentence. */
export function addBrokerRefusal(brokers: number): string | null {
  return brokers >= MAX_BROKERS
    ? `The cluster already has ${brokers} brokers, the most a lab cluster may have (${MAX_BROKERS}).`
    : null;
}

/** Nouns for "a <op> is in progress". */
export type Operation = NodeActionName | 'add-broker' | 'cluster start' | 'cluster stop' | 'cluster reset';

/** The 409 sentence for a call that meets another one still in progress. */
export function busySentence(what: string, op: Operation): string {
  return `${what} is busy: a ${op.replace('-', ' ')} is in progress; try again when it is done (GET /api/cluster shows it).`;
}
