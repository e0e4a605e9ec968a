import { Logger } from '@nestjs/common';
import type { LabMessage } from '../timeline/live-bus';
import type { LabSocket, ServerToClientEvents, SubscribeAck } from './live.types';

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

/**
 * A queued item that is not a message. Messages, the bulk of the traffic, are queued as they are
 * (no wrapper per message per socket); everything else is one of these.
 */
class Outgoing {
  constructor(
    readonly event: keyof ServerToClientEvents,
    readonly data: unknown,
    /** Set for queued acks: they go out in order with everything queued before them. */
    readonly ack?: (r: SubscribeAck) => void,
  ) {}
}

type Item = LabMessage | Outgoing;

/** The bounded queue of one socket. */
export class SocketQueue {
  items: Item[] = [];
  /** Index of the first unsent item (avoids shifting on every send). */
  head = 0;
  dropped = false;

  constructor(readonly socket: LabSocket) {}

  /** Items waiting to be written. */
  get pending(): number {
    return this.items.length - this.head;
  }
}

/**
 * Writes every socket's queue every few ms, so a slow or vanished client never slows the consumers,
 * the timeline or other clients; a client that falls too far behind is told and dropped.
 */
export class SocketQueues {
  private readonly log = new Logger('LabGateway');
  private readonly dirty = new Set<SocketQueue>();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private readonly graceTimers = new Set<NodeJS.Timeout>();

  constructor(
    readonly limits: GatewayLimits,
    /** Called once when a queue overflowed, before the socket is disconnected. */
    private readonly onOverflow: (q: SocketQueue) => void,
  ) {}

  /** Room left in this queue before it overflows. */
  room(q: SocketQueue): number {
    return Math.max(0, this.limits.queueMax - q.pending);
  }

  /** Queues messages of a consumer, in order; false when the socket is (now) dropped. */
  messages(q: SocketQueue, messages: readonly LabMessage[]): boolean {
    if (q.dropped) return false;
    for (const m of messages) q.items.push(m);
    return this.queued(q);
  }

  /** Queues one socket event; false when the socket is (now) dropped. */
  emit<E extends keyof ServerToClientEvents>(q: SocketQueue, event: E, data: Parameters<ServerToClientEvents[E]>[0]): boolean {
    if (q.dropped) return false;
    q.items.push(new Outgoing(event, data));
    return this.queued(q);
  }

  /** Queues an ack behind everything queued before it (after an unsubscribe's ack nothing of it follows). */
  ack(q: SocketQueue, res: SubscribeAck, ack: (r: SubscribeAck) => void): void {
    if (q.dropped) {
      ack(res);
      return;
    }
    q.items.push(new Outgoing('event', res, ack));
    this.queued(q);
  }

  /** Forgets a queue (its socket left). */
  discard(q: SocketQueue): void {
    q.items = [];
    q.head = 0;
    this.dirty.delete(q);
  }

  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const t of this.graceTimers) clearTimeout(t);
    this.graceTimers.clear();
  }

  private queued(q: SocketQueue): boolean {
    if (q.pending > this.limits.queueMax) {
      this.overflow(q);
      return false;
    }
    this.dirty.add(q);
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
    for (const q of this.dirty) {
      if (q.dropped || !q.socket.connected) {
        this.dirty.delete(q);
        continue;
      }
      // A client that is not reading leaves packets in engine.io's buffer; hand it nothing more until
      // it catches up, so the backlog grows in our bounded queue and not in unbounded socket buffers.
      if (pendingPackets(q.socket) >= this.limits.writeHighWater) continue;
      const end = Math.min(q.items.length, q.head + this.limits.flushBatch);
      const socket = q.socket;
      for (let i = q.head; i < end; i++) {
        const item = q.items[i];
        if (!(item instanceof Outgoing)) socket.emit('message', item);
        else if (item.ack) item.ack(item.data as SubscribeAck);
        else (socket.emit as (ev: string, data: unknown) => boolean)(item.event, item.data);
      }
      q.head = end;
      if (q.head >= q.items.length) {
        q.items = [];
        q.head = 0;
        this.dirty.delete(q);
      } else if (q.head > 4096) {
        q.items = q.items.slice(q.head);
        q.head = 0;
      }
    }
    if (this.dirty.size) this.scheduleFlush();
  }

  /** The client fell too far behind: tell it (if it ever reads again), then cut it loose. */
  private overflow(q: SocketQueue): void {
    const dropped = q.pending;
    q.dropped = true;
    this.onOverflow(q);
    this.discard(q);
    const socket = q.socket;
    this.log.warn(`Dropped socket ${socket.id}: it was ${dropped} items behind.`);
    socket.emit('overflow', {
      dropped,
      message:
        `You were too slow to read: ${dropped} items were dropped and the server disconnected you. ` +
        'Reconnect and subscribe again with "after" set to the last seq you got: the server replays what you missed.',
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
function pendingPackets(socket: LabSocket): number {
  const buf = (socket.conn as unknown as { writeBuffer?: unknown[] } | undefined)?.writeBuffer;
  return Array.isArray(buf) ? buf.length : 0;
}

function forceClose(socket: LabSocket): void {
  const conn = socket.conn as unknown as { readyState: string; transport?: { socket?: { terminate?: () => void } }; close(discard?: boolean): void };
  if (conn.readyState === 'closed') return;
  // A websocket whose peer does not read would wait for a close handshake; terminate destroys it.
  const ws = conn.transport?.socket;
  if (ws && typeof ws.terminate === 'function') ws.terminate();
  else conn.close(true);
}
