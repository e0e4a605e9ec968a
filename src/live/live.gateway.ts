import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { AuthService } from '../class/auth.service';
import { QuotaService } from '../class/quotas';
import { LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { CONSUMER_DIRECTORY, ConsumerDirectory } from './consumer-directory';
import type { LabSocket, SubscribeAck } from './live.types';
import { DEFAULT_GATEWAY_LIMITS, GATEWAY_LIMITS, GatewayLimits, SocketQueue, SocketQueues } from './socket-queue';
import { LiveClient, Subscriptions } from './subscriptions';
import { TOPIC_DIRECTORY, TopicDirectory } from './topic-directory';

type AckFn = (r: SubscribeAck) => void;

/**
 * socket.io namespace `/lab`: signs sockets in, takes their subscriptions, and hands them what the
 * LiveBus carries. Everything to a socket goes through that socket's bounded queue (socket-queue.ts);
 * who gets what is decided in subscriptions.ts and routing.ts.
 */
@Injectable()
@WebSocketGateway({ namespace: '/lab', cors: { origin: true } })
export class LabGateway implements OnGatewayConnection, OnGatewayDisconnect, OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('LabGateway');
  private readonly clients = new Map<string, LiveClient>();
  private readonly queues: SocketQueues;
  private readonly subs: Subscriptions;
  private readonly offBus: Array<() => void> = [];

  constructor(
    private readonly auth: AuthService,
    private readonly bus: LiveBus,
    timeline: TimelineService,
    private readonly quotas: QuotaService,
    @Optional() @Inject(CONSUMER_DIRECTORY) directory?: ConsumerDirectory,
    @Optional() @Inject(GATEWAY_LIMITS) limits?: Partial<GatewayLimits>,
    @Optional() @Inject(TOPIC_DIRECTORY) topics?: TopicDirectory,
  ) {
    this.queues = new SocketQueues({ ...DEFAULT_GATEWAY_LIMITS, ...(limits ?? {}) }, (q) => this.dropped(q));
    this.subs = new Subscriptions(timeline, this.queues, directory, topics);
  }

  onModuleInit(): void {
    this.offBus.push(
      this.bus.on('event', (ev, scope) => this.subs.onEvent(ev, scope)),
      this.bus.on('messages', (consumerId, owner, messages) => this.subs.onMessages(consumerId, owner, messages)),
      this.bus.on('cluster', (view) => this.subs.onCluster(view)),
      this.auth.onRevoked((id, message) => this.disconnectPrincipal(id, message)),
    );
  }

  onModuleDestroy(): void {
    for (const off of this.offBus.splice(0)) off();
    this.queues.close();
  }

  /** How many signed-in sockets are connected (for health and tests). */
  get connectedClients(): number {
    return this.clients.size;
  }

  /** Closes every socket signed in as this principal, after telling it why (removed, token replaced). */
  disconnectPrincipal(principalId: string, message: string): void {
    for (const c of [...this.clients.values()]) {
      if (c.who.id !== principalId) continue;
      this.forget(c);
      c.queue.socket.emit('error', { message });
      c.queue.socket.disconnect(true);
    }
  }

  handleConnection(socket: LabSocket): void {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    let token = typeof auth?.token === 'string' ? auth.token : undefined;
    const header = socket.handshake.headers?.authorization;
    if (!token && typeof header === 'string') token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const who = token ? this.auth.verify(token) : null;
    if (!who) {
      const message = token
        ? this.auth.refusal(token)
        : 'The socket needs a token: connect with auth: { token: "<your token>" }.';
      return this.refuse(socket, message);
    }
    const overQuota = this.quotas.socketRefusal(who, [...this.clients.values()].filter((c) => c.who.id === who.id).length);
    if (overQuota) return this.refuse(socket, overQuota);
    this.clients.set(socket.id, this.subs.client(who, new SocketQueue(socket)));
  }

  /** Like a bad token: the client's error handler hears why, then the socket is closed. */
  private refuse(socket: LabSocket, message: string): void {
    socket.emit('error', { message });
    socket.disconnect(true);
  }

  handleDisconnect(socket: LabSocket): void {
    const c = this.clients.get(socket.id);
    if (c) this.forget(c);
  }

  @SubscribeMessage('subscribe')
  onSubscribe(@ConnectedSocket() socket: LabSocket, @MessageBody() body: unknown, @Ack() ack?: AckFn): void {
    this.answer(socket, ack, (c) => this.subs.subscribe(c, body));
  }

  @SubscribeMessage('unsubscribe')
  onUnsubscribe(@ConnectedSocket() socket: LabSocket, @MessageBody() body: unknown, @Ack() ack?: AckFn): void {
    this.answer(socket, ack, (c) => this.subs.unsubscribe(c, body));
  }

  private answer(socket: LabSocket, ack: AckFn | undefined, act: (c: LiveClient) => SubscribeAck): void {
    const c = this.clients.get(socket.id);
    let res: SubscribeAck;
    try {
      res = c ? act(c) : { ok: false, error: 'This socket is not signed in; reconnect with auth: { token }.' };
    } catch (e) {
      this.log.error(`A subscription failed unexpectedly: ${(e as Error)?.stack ?? e}`);
      res = { ok: false, error: 'The server failed unexpectedly; this is a bug.' };
    }
    if (typeof ack !== 'function') return;
    // The ack waits behind what is already queued (a replay, everything before an unsubscribe).
    if (c) this.queues.ack(c.queue, res, ack);
    else ack(res);
  }

  private dropped(q: SocketQueue): void {
    const c = this.clients.get(q.socket.id);
    if (c) {
      this.log.warn(`Socket ${q.socket.id} of ${c.who.id} read too slowly; it is dropped.`);
      this.forget(c);
    }
  }

  private forget(c: LiveClient): void {
    this.clients.delete(c.queue.socket.id);
    this.subs.forget(c);
    this.queues.discard(c.queue);
  }
}
