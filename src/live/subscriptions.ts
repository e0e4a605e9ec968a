import { Logger } from '@nestjs/common';
import { notFoundSentence, presentEvent } from '../class/present';
import type { Principal } from '../class/principal';
import { canSee } from '../class/visibility';
import type { ClusterView } from '../cluster/cluster.types';
import type { LabEvent } from '../timeline/events';
import type { LabMessage } from '../timeline/live-bus';
import type { TimelineQuery } from '../timeline/timeline.service';
import type { EventScope } from '../timeline/timeline.types';
import type { ConsumerDirectory, ConsumerFeed } from './consumer-directory';
import type { SubscribeAck } from './live.types';
import type { TopicDirectory } from './topic-directory';
import { Channel, Target, targetsOf } from './routing';
import { SocketQueue, SocketQueues } from './socket-queue';
import { parseSubscription, Subscription, subscriptionKey, subscriptionName } from './subscription';

/** What the subscriptions read of the timeline: synchronous, so nothing slips between replay and registration. */
export interface TimelineReader {
  readonly lastSeq: number;
  query(q: TimelineQuery): { events: LabEvent[]; next: number };
}

/**
 * The most stored events one replay may look through (not `{ consumer }`, whose story is read by its
 * index): past it, a subscribe would hold the event loop for long, so the caller reads them over HTTP.
 */
export const REPLAY_SCAN_MAX = 10_000;
/** A failing live fan-out is logged at most once per this long (it may fail on every message). */
export const FAILURE_LOG_EVERY_MS = 60_000;

/** One subscription of one socket, and from where on it has delivered. */
interface Sub {
  key: string;
  /** Every matching event with a greater seq was (or is being) delivered by this subscription. */
  eventsAfter: number;
  /** `{ consumer }` only: every message with a greater seq was (or is being) delivered. */
  messagesAfter: number;
}

/** One connected, signed-in socket. */
export interface LiveClient {
  who: Principal;
  queue: SocketQueue;
  subs: Map<string, Sub>;
  /** Last event seq queued per socket event, so overlapping live subscriptions send an event once. */
  lastSent: Record<Channel, number>;
}

/**
 * Who is subscribed to what, and the fan-out to them. A subscription with a cursor is first given
 * what is stored after it (timeline events, a consumer's kept messages), then registered: both happen
 * in one synchronous call, so no live item can fall between the replay and the live stream.
 */
export class Subscriptions {
  private readonly log = new Logger('LabGateway');
  private readonly index = new Map<string, Set<LiveClient>>();
  private lastFailureLog = -Infinity;
  private failuresUnlogged = 0;

  constructor(
    private readonly timeline: TimelineReader,
    private readonly queues: SocketQueues,
    private readonly directory: ConsumerDirectory | undefined,
    /** Absent (tests without topics): a student's topic name is taken as their own. */
    private readonly topics?: TopicDirectory,
  ) {}

  client(who: Principal, queue: SocketQueue): LiveClient {
    return { who, queue, subs: new Map(), lastSent: { event: -1, rebalance: -1, progress: -1 } };
  }

  subscribe(c: LiveClient, body: unknown): SubscribeAck {
    const sub = this.resolve(c, body);
    if ('error' in sub) return { ok: false, error: sub.error };
    let feed: ConsumerFeed | undefined;
    if (sub.kind === 'consumer') {
      feed = this.directory?.feed(sub.name);
      // A consumer the caller may not see is reported like a missing one: ids of others stay private.
      if (!feed || !canSee(c.who, { owner: feed.owner })) return { ok: false, error: notFoundSentence('consumer', sub.name) };
    }
    const key = subscriptionKey(sub.kind, sub.name);
    const lastSeq = this.timeline.lastSeq;
    // No cursor: a consumer's whole story (it may have joined before the caller could subscribe); now for the rest.
    const eventsAfter = Math.min(sub.after?.event ?? feed?.storyAfter ?? lastSeq, lastSeq);
    const lastMessage = feed?.lastMessageSeq ?? 0;
    const messagesAfter = Math.min(sub.after?.message ?? 0, lastMessage);
    const previous = c.subs.get(key);

    const readOverHttp =
      `read them with GET /api/events?after=${eventsAfter}${feed ? ` and GET /api/consumers/${sub.name}/messages?after=${messagesAfter}` : ''}, ` +
      'then subscribe from the last seq you got.';
    // Seqs only grow, so lastSeq - cursor bounds the rows a replay would read.
    if (!feed && lastSeq - eventsAfter > REPLAY_SCAN_MAX) {
      return { ok: false, error: `There are more than ${REPLAY_SCAN_MAX} stored events after that cursor to look through; ${readOverHttp}` };
    }
    const events = this.storedEvents(c, key, eventsAfter, feed ? sub.name : undefined);
    const messages = feed ? this.keptMessages(feed, messagesAfter, previous?.messagesAfter ?? lastMessage) : { list: [], missed: 0 };
    const total = events.length + messages.list.length;
    if (total > this.queues.room(c.queue)) {
      return { ok: false, error: `There are more stored items after that cursor (${total}) than a socket may have waiting; ${readOverHttp}` };
    }
    for (const { ev, channel } of events) {
      // `as never`: routing.ts sends only group.rebalanced as `rebalance` and checkpoint.passed as `progress`.
      if (!this.queues.emit(c.queue, channel, presentEvent(c.who, ev) as never)) break;
    }
    if (messages.list.length) this.queues.messages(c.queue, messages.list);

    if (previous) {
      previous.eventsAfter = Math.min(previous.eventsAfter, eventsAfter);
      previous.messagesAfter = Math.min(previous.messagesAfter, messagesAfter);
    } else {
      c.subs.set(key, { key, eventsAfter, messagesAfter });
      let set = this.index.get(key);
      if (!set) this.index.set(key, (set = new Set()));
      set.add(c);
    }
    if (!feed) return { ok: true, seq: lastSeq };
    return { ok: true, seq: lastSeq, messageSeq: lastMessage, ...(messages.missed ? { missedMessages: messages.missed } : {}) };
  }

  unsubscribe(c: LiveClient, body: unknown): SubscribeAck {
    const sub = this.resolve(c, body);
    if ('error' in sub) return { ok: false, error: sub.error };
    this.drop(c, subscriptionKey(sub.kind, sub.name));
    return { ok: true, seq: this.timeline.lastSeq };
  }

  /** Drops every subscription of a client that left (or was dropped). */
  forget(c: LiveClient): void {
    for (const key of [...c.subs.keys()]) this.drop(c, key);
  }

  // ---- live fan-out: only look up the interested sockets and queue; never write here ----

  onEvent(ev: LabEvent, scope: EventScope): void {
    try {
      for (const t of targetsOf(ev, scope)) {
        const set = this.index.get(t.key);
        if (!set) continue;
        for (const c of set) {
          if (c.lastSent[t.channel] === ev.seq || !canSee(c.who, scope)) continue;
          c.lastSent[t.channel] = ev.seq;
          this.queues.emit(c.queue, t.channel, presentEvent(c.who, ev) as never);
        }
      }
    } catch (e) {
      this.failed(`event ${ev.seq} (${ev.type})`, e);
    }
  }

  /** The hot path: one lookup per batch, the messages queued as they are. */
  onMessages(consumerId: string, owner: string, messages: LabMessage[]): void {
    try {
      const set = this.index.get(subscriptionKey('consumer', consumerId));
      if (!set) return;
      for (const c of set) {
        if (canSee(c.who, { owner })) this.queues.messages(c.queue, messages);
      }
    } catch (e) {
      this.failed(`${messages.length} messages of consumer ${consumerId}`, e);
    }
  }

  onCluster(view: ClusterView): void {
    const set = this.index.get(subscriptionKey('cluster', ''));
    if (!set) return;
    for (const c of set) this.queues.emit(c.queue, 'cluster', view);
  }

  // ---- replay ----

  /**
   * Stored events after `after` that this subscription would have sent, minus those another
   * subscription of the same socket already covers (it sent them live or is replaying them).
   */
  private storedEvents(c: LiveClient, key: string, after: number, consumerId: string | undefined): Array<{ ev: LabEvent; channel: Channel }> {
    const out: Array<{ ev: LabEvent; channel: Channel }> = [];
    if (after >= this.timeline.lastSeq) return out;
    this.timeline.query({
      after,
      // A consumer's events are read by its id (every event routed to it is stored under it).
      consumerId,
      // One more than fits tells the caller there are too many.
      limit: this.queues.room(c.queue) + 1,
      visible: (scope) => canSee(c.who, scope),
      // Runs once per visible stored event, in seq order; what it accepts is what the query returns.
      match: (ev, scope) => {
        const targets = targetsOf(ev, scope);
        const before = out.length;
        for (const t of targets) {
          if (t.key === key && !this.coveredElsewhere(c, ev.seq, targets, t.channel)) out.push({ ev, channel: t.channel });
        }
        return out.length > before;
      },
    });
    return out;
  }

  private coveredElsewhere(c: LiveClient, seq: number, targets: Target[], channel: Channel): boolean {
    for (const t of targets) {
      if (t.channel !== channel) continue;
      const other = c.subs.get(t.key);
      if (other && other.eventsAfter < seq) return true;
    }
    return false;
  }

  /** Kept messages in (after, upTo], and how many after `after` the consumer no longer keeps. */
  private keptMessages(feed: ConsumerFeed, after: number, upTo: number): { list: LabMessage[]; missed: number } {
    if (after >= upTo) return { list: [], missed: 0 };
    const { messages } = feed.messages(after, upTo - after);
    const first = messages.length ? messages[0].seq : upTo + 1;
    return { list: messages.filter((m) => m.seq <= upTo), missed: Math.max(0, first - after - 1) };
  }

  /**
   * The bus swallows a listener's error (so the publisher goes on): say it here, but once per
   * FAILURE_LOG_EVERY_MS with how many were not logged, since the message path may fail on every batch.
   */
  private failed(what: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_EVERY_MS) {
      this.failuresUnlogged++;
      return;
    }
    const more = this.failuresUnlogged ? ` (${this.failuresUnlogged} more failures since the last report)` : '';
    this.lastFailureLog = now;
    this.failuresUnlogged = 0;
    this.log.error(`Sending ${what} to live subscribers failed; this is a bug${more}: ${(e as Error)?.stack ?? e}`);
  }

  private drop(c: LiveClient, key: string): void {
    if (!c.subs.delete(key)) return;
    const set = this.index.get(key);
    if (set && set.delete(c) && set.size === 0) this.index.delete(key);
  }

  private resolve(c: LiveClient, body: unknown): Subscription | { error: string } {
    const sub = parseSubscription(body);
    if ('error' in sub) return sub;
    if (sub.kind !== 'topic' && sub.kind !== 'group') return sub;
    const named = subscriptionName(c.who, sub.kind, sub.name, (n) => this.topics?.exists(n) ?? false);
    return 'error' in named ? named : { ...sub, name: named.name };
  }
}

