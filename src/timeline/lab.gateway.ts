import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { AuthService } from '../class/auth.service';
import { Principal } from '../class/principal';
import { canSee } from '../class/visibility';
import type { ClusterView } from '../cluster/cluster.types';
import { CONSUMER_DIRECTORY, ConsumerDirectory } from './consumer-directory';
import { LabMessage, LiveBus } from './live-bus';
import { eventField, LabEvent } from './events';
import type { EventScope } from './timeline.types';

/** How much the gateway buffers for one socket, and how often it writes. */
export interface GatewayLimits {
  /** Items (messages, events, acks) waiting for one socket; one more and the socket is dropped. */
  queueMax: number;
  /**
   * The shortest time between two writes of the queues: a quiet stream is written at once, a busy
   * one in rounds at most this often.
   */
  flushEveryMs: number;
  /** Most items written to one socket per flush, so one busy socket cannot hold the event loop. */
  flushBatch: number;
  /** Packets socket.io/engine.io may hold for a socket before we stop handing it more (it is not reading). */
  writeHighWater: number;
  /** After an overflow, how long a slow client gets to read its last packets before the connection is cut. */
  overflowGraceMs: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  queueMax: 10_000,
  flushEveryMs: 10,
  flushBatch: 1000,
  writeHighWater: 1000,
  overflowGraceMs: 5000,
};

/** Optional override of DEFAULT_GATEWAY_LIMITS (tests use small bounds). */
export const GATEWAY_LIMITS = Symbol('GATEWAY_LIMITS');

export type SubscriptionKind = 'consumer' | 'topic' | 'group' | 'cluster' | 'events';
const KINDS: readonly SubscriptionKind[] = ['consumer', 'topic', 'group', 'cluster', 'events'];

export interface Subscription {
  kind: SubscriptionKind;
  /** The consumer id, topic or group as the cluster knows it; '' for cluster/events. */
  name: string;
}

export type SubscribeAck = { ok: true } | { ok: false; error: string };

const SHAPE =
  'A subscription is one object naming exactly one of consumer, topic, group, cluster or events, ' +
  'e.g. { "consumer": "c1" }, { "topic": "orders" }, { "group": "g1" }, { "cluster": true } or { "events": true }.';

/** Checks a subscribe/unsubscribe payload; an error is a sentence for the ack. */
export function parseSubscription(body: unknown): Subscription | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: SHAPE };
  const keys = Object.keys(body);
  if (keys.length !== 1 || !KINDS.includes(keys[0] as SubscriptionKind)) return { error: SHAPE };
  const kind = keys[0] as SubscriptionKind;
  const value = (body as Record<string, unknown>)[kind];
  if (kind === 'cluster' || kind === 'events') {
    if (value !== true) return { error: `${kind} must be true, as in { "${kind}": true }.` };
    return { kind, name: '' };
  }
  if (typeof value !== 'string' || value.trim() === '' || value.length > 255) {
    return { error: `${kind} must be a name of 1 to 255 characters, as in { "${kind}": "${kind === 'consumer' ? 'c1' : 'orders'}" }.` };
  }
  return { kind, name: value };
}

/**
 * The one place a topic or group name, as the caller sees it, becomes the name used in events.
 * Identity for now; per-student namespaces will map here.
 */
export function subscriptionName(_who: Principal, _kind: 'topic' | 'group', visibleName: string): string {
  return visibleName;
}

interface Outgoing {
  event: string;
  data: unknown;
  /** Set for queued acks: they go out in order with everything queued before them. */
  ack?: (r: SubscribeAck) => void;
}

/** One connected, signed-in socket. */
interface Client {
  socket: Socket;
  who: Principal;
  /** `${kind}:${name}` of every subscription. */
  subs: Set<string>;
  queue: Outgoing[];
  /** Index of the first unsent item in `queue` (avoids shifting on every send). */
  head: number;
  /** Last event seq queued as `event` / `rebalance`, so overlapping subscriptions send it once. */
  lastEventSeq: number;
  lastRebalanceSeq: number;
  dropped: boolean;
}

type AckFn = (r: SubscribeAck) => void;

/**
 * socket.io namespace `/lab`: the live view of the lab. Everything to a socket goes through that
 * socket's bounded queue, written every few ms, so a slow or vanished client never slows the
 * consumers, the timeline or other clients; a client that falls too far behind is told and dropped.
 */
@Injectable()
@WebSocketGateway({ namespace: '/lab', cors: { origin: true } })
export class LabGateway implements OnGatewayConnection, OnGatewayDisconnect, OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('LabGateway');
  private readonly limits: GatewayLimits;
  private readonly clients = new Map<string, Client>();
  private readonly byConsumer = new Map<string, Set<Client>>();
  private readonly byTopic = new Map<string, Set<Client>>();
  private readonly byGroup = new Map<string, Set<Client>>();
  private readonly clusterSubs = new Set<Client>();
  private readonly eventSubs = new Set<Client>();
  private readonly dirty = new Set<Client>();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private readonly graceTimers = new Set<NodeJS.Timeout>();
  private readonly offBus: Array<() => void> = [];

  constructor(
    private readonly auth: AuthService,
    private readonly bus: LiveBus,
    private readonly moduleRef: ModuleRef,
    @Optional() @Inject(CONSUMER_DIRECTORY) private directory?: ConsumerDirectory,
    @Optional() @Inject(GATEWAY_LIMITS) limits?: Partial<GatewayLimits>,
  ) {
    this.limits = { ...DEFAULT_GATEWAY_LIMITS, ...(limits ?? {}) };
  }

  onModuleInit(): void {
    if (!this.directory) {
      // The consumers module may provide the directory without being global; find it anywhere.
      try {
        this.directory = this.moduleRef.get<ConsumerDirectory>(CONSUMER_DIRECTORY, { strict: false });
      } catch {
        this.directory = undefined;
      }
    }
    this.offBus.push(
      this.bus.on('event', (ev, scope) => this.onEvent(ev, scope)),
      this.bus.on('messages', (consumerId, owner, messages) => this.onMessages(consumerId, owner, messages)),
      this.bus.on('cluster', (view) => this.onCluster(view)),
    );
  }

  onModuleDestroy(): void {
    for (const off of this.offBus.splice(0)) off();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const t of this.graceTimers) clearTimeout(t);
    this.graceTimers.clear();
  }

  /** How many signed-in sockets are connected (for health and tests). */
  get connectedClients(): number {
    return this.clients.size;
  }

  handleConnection(socket: Socket): void {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    let token = typeof auth?.token === 'string' ? auth.token : undefined;
    const header = socket.handshake.headers?.authorization;
    if (!token && typeof header === 'string') token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const who = token ? this.auth.verify(token) : null;
    if (!who) {
      const message = token
        ? 'The token is not known to this lab server.'
        : 'The socket needs a token: connect with auth: { token: "<your token>" }.';
      socket.emit('error', { message });
      socket.disconnect(true);
      return;
    }
    this.clients.set(socket.id, {
      socket, who, subs: new Set(), queue: [], head: 0, lastEventSeq: -1, lastRebalanceSeq: -1, dropped: false,
    });
  }

  handleDisconnect(socket: Socket): void {
    const c = this.clients.get(socket.id);
    if (c) this.forget(c);
  }

  @SubscribeMessage('subscribe')
  onSubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown, @Ack() ack?: AckFn): void {
    this.answer(socket, ack, (c) => this.subscribe(c, body));
  }

  @SubscribeMessage('unsubscribe')
  onUnsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown, @Ack() ack?: AckFn): void {
    this.answer(socket, ack, (c) => this.unsubscribe(c, body));
  }

  private answer(socket: Socket, ack: AckFn | undefined, act: (c: Client) => SubscribeAck): void {
    const c = this.clients.get(socket.id);
    let res: SubscribeAck;
    try {
      res = c ? act(c) : { ok: false, error: 'This socket is not signed in; reconnect with auth: { token }.' };
    } catch (e) {
      this.log.error(`A subscription failed unexpectedly: ${(e as Error)?.stack ?? e}`);
      res = { ok: false, error: 'The server failed unexpectedly; this is a bug.' };
    }
    if (typeof ack !== 'function') return;
    // The ack waits behind what is already queued, so after an unsubscribe's ack nothing of it follows.
    if (c && !c.dropped) this.enqueue(c, { event: '', data: res, ack });
    else ack(res);
  }

  private subscribe(c: Client, body: unknown): SubscribeAck {
    const sub = this.resolve(c, body);
    if ('error' in sub) return { ok: false, error: sub.error };
    if (sub.kind === 'consumer') {
      const owner = this.directory?.ownerOf(sub.name);
      // A consumer the caller may not see is reported like a missing one: ids of others stay private.
      if (owner === undefined || !canSee(c.who, { owner })) return { ok: false, error: `there is no consumer ${sub.name}` };
    }
    const key = `${sub.kind}:${sub.name}`;
    if (c.subs.has(key)) return { ok: true };
    c.subs.add(key);
    this.index(sub).add(c);
    return { ok: true };
  }

  private unsubscribe(c: Client, body: unknown): SubscribeAck {
    const sub = this.resolve(c, body);
    if ('error' in sub) return { ok: false, error: sub.error };
    const key = `${sub.kind}:${sub.name}`;
    if (c.subs.delete(key)) this.unindex(sub, c);
    return { ok: true };
  }

  private resolve(c: Client, body: unknown): Subscription | { error: string } {
    const sub = parseSubscription(body);
    if ('error' in sub) return sub;
    if (sub.kind === 'topic' || sub.kind === 'group') return { kind: sub.kind, name: subscriptionName(c.who, sub.kind, sub.name) };
    return sub;
  }

  private index(sub: Subscription): Set<Client> {
    switch (sub.kind) {
      case 'cluster': return this.clusterSubs;
      case 'events': return this.eventSubs;
      default: {
        const map = this.mapOf(sub.kind);
        let set = map.get(sub.name);
        if (!set) map.set(sub.name, (set = new Set()));
        return set;
      }
    }
  }

  private unindex(sub: Subscription, c: Client): void {
    if (sub.kind === 'cluster') this.clusterSubs.delete(c);
    else if (sub.kind === 'events') this.eventSubs.delete(c);
    else {
      const map = this.mapOf(sub.kind);
      const set = map.get(sub.name);
      if (set && set.delete(c) && set.size === 0) map.delete(sub.name);
    }
  }

  private mapOf(kind: 'consumer' | 'topic' | 'group'): Map<string, Set<Client>> {
    return kind === 'consumer' ? this.byConsumer : kind === 'topic' ? this.byTopic : this.byGroup;
  }

  /** Drops every subscription and the queue of a client that left (or was dropped). */
  private forget(c: Client): void {
    this.clients.delete(c.socket.id);
    for (const key of c.subs) {
      const i = key.indexOf(':');
      this.unindex({ kind: key.slice(0, i) as SubscriptionKind, name: key.slice(i + 1) }, c);
    }
    c.subs.clear();
    c.queue = [];
    c.head = 0;
    this.dirty.delete(c);
  }

  // ---- from the LiveBus: only look up the interested sockets and queue; never write here ----

  private onEvent(ev: LabEvent, scope: EventScope): void {
    const topic = eventField(ev, 'topic') ?? scope.topic;
    const group = eventField(ev, 'groupId') ?? scope.groupId;
    this.sendEvent(this.eventSubs, ev, scope);
    if (topic !== undefined) this.sendEvent(this.byTopic.get(topic), ev, scope);
    if (group !== undefined) this.sendEvent(this.byGroup.get(group), ev, scope);
    if (ev.type.startsWith('cluster.') || ev.type.startsWith('node.')) this.sendEvent(this.clusterSubs, ev, scope);
    if (ev.type === 'group.rebalanced') {
      const consumer = eventField(ev, 'consumerId') ?? scope.consumerId;
      if (consumer !== undefined) this.sendRebalance(this.byConsumer.get(consumer), ev, scope);
      if (group !== undefined) this.sendRebalance(this.byGroup.get(group), ev, scope);
    }
  }

  private sendEvent(set: Set<Client> | undefined, ev: LabEvent, scope: EventScope): void {
    if (!set) return;
    for (const c of set) {
      if (c.lastEventSeq === ev.seq || !canSee(c.who, scope)) continue;
      c.lastEventSeq = ev.seq;
      this.enqueue(c, { event: 'event', data: ev });
    }
  }

  private sendRebalance(set: Set<Client> | undefined, ev: LabEvent, scope: EventScope): void {
    if (!set) return;
    for (const c of set) {
      if (c.lastRebalanceSeq === ev.seq || !canSee(c.who, scope)) continue;
      c.lastRebalanceSeq = ev.seq;
      this.enqueue(c, { event: 'rebalance', data: ev });
    }
  }

  private onMessages(consumerId: string, owner: string, messages: LabMessage[]): void {
    const set = this.byConsumer.get(consumerId);
    if (!set) return;
    for (const c of set) {
      if (!canSee(c.who, { owner })) continue;
      for (const m of messages) {
        if (!this.enqueue(c, { event: 'message', data: m })) break;
      }
    }
  }

  private onCluster(view: ClusterView): void {
    for (const c of this.clusterSubs) this.enqueue(c, { event: 'cluster', data: view });
  }

  // ---- per-socket queues ----

  /** Queues one item; false when the client is (now) dropped. */
  private enqueue(c: Client, item: Outgoing): boolean {
    if (c.dropped) return false;
    c.queue.push(item);
    if (c.queue.length - c.head > this.limits.queueMax) {
      this.overflow(c);
      return false;
    }
    this.dirty.add(c);
    this.scheduleFlush();
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlush + this.limits.flushEveryMs - Date.now());
    this.flushTimer = setTimeout(() => this.flush(), wait);
    this.flushTimer.unref();
  }

  private flush(): void {
    this.flushTimer = undefined;
    this.lastFlush = Date.now();
    for (const c of this.dirty) {
      if (c.dropped || !c.socket.connected) {
        this.dirty.delete(c);
        continue;
      }
      // A client that is not reading leaves packets in engine.io's buffer; hand it nothing more until
      // it catches up, so the backlog grows in our bounded queue and not in unbounded socket buffers.
      if (pendingPackets(c.socket) >= this.limits.writeHighWater) continue;
      const end = Math.min(c.queue.length, c.head + this.limits.flushBatch);
      for (let i = c.head; i < end; i++) {
        const item = c.queue[i];
        if (item.ack) item.ack(item.data as SubscribeAck);
        else c.socket.emit(item.event, item.data);
      }
      c.head = end;
      if (c.head >= c.queue.length) {
        c.queue = [];
        c.head = 0;
        this.dirty.delete(c);
      } else if (c.head > 4096) {
        c.queue = c.queue.slice(c.head);
        c.head = 0;
      }
    }
    if (this.dirty.size) this.scheduleFlush();
  }

  /** The client fell too far behind: tell it (if it ever reads again), then cut it loose. */
  private overflow(c: Client): void {
    const dropped = c.queue.length - c.head;
    c.dropped = true;
    this.forget(c);
    const socket = c.socket;
    this.log.warn(`Dropped socket ${socket.id} of ${c.who.id}: it was ${dropped} items behind.`);
    socket.emit('overflow', {
      dropped,
      message:
        `You were too slow to read: ${dropped} items were dropped and the server disconnected you. ` +
        'Reconnect and catch up with GET /api/events?after=<seq> or GET /api/consumers/{id}/messages?after=<seq>.',
    });
    // Graceful: the overflow notice goes out after whatever the client has not read yet...
    socket.disconnect(true);
    // ...but a client that never reads would hold its connection open until the ping timeout.
    const t = setTimeout(() => {
      this.graceTimers.delete(t);
      forceClose(socket);
    }, this.limits.overflowGraceMs);
    t.unref();
    this.graceTimers.add(t);
  }
}

/** Packets engine.io holds for this socket that the transport has not taken yet. */
function pendingPackets(socket: Socket): number {
  const buf = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer;
  return Array.isArray(buf) ? buf.length : 0;
}

function forceClose(socket: Socket): void {
  const conn = socket.conn as unknown as { readyState: string; transport?: { socket?: { terminate?: () => void } }; close(discard?: boolean): void };
  if (conn.readyState === 'closed') return;
  // A websocket whose peer does not read would wait for a close handshake; terminate destroys it.
  const ws = conn.transport?.socket;
  if (ws && typeof ws.terminate === 'function') ws.terminate();
  else conn.close(true);
}
