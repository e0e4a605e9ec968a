import { eventField, EventType, LabEvent } from '../timeline/events';
import type { EventScope } from '../timeline/timeline.types';
import { subscriptionKey } from './subscription';

/** The socket event an event goes out as. */
export type Channel = 'event' | 'rebalance' | 'progress';

/**
 * Where one type of event goes besides the generic routes (every `{ events }` subscriber; the `{ topic }`
 * and `{ group }` subscribers of the topic and group it names).
 */
interface Route {
  /** To `{ cluster: true }` subscribers as `event`. */
  cluster?: true;
  /** To the subscribers of the consumer it names, as this socket event. */
  consumer?: 'event' | 'rebalance';
  /** To the subscribers of its group as `rebalance` too (besides `event`). */
  groupRebalance?: true;
  /** To `{ progress: true }` subscribers as `progress`. */
  progress?: true;
}

const NONE: Route = {};
const CLUSTER: Route = { cluster: true };
const CONSUMER: Route = { consumer: 'event' };

/** Every event type must say where it goes: a new type does not compile until it is added here. */
export const ROUTES: { readonly [T in EventType]: Route } = {
  'cluster.started': CLUSTER,
  'cluster.stopped': CLUSTER,
  'cluster.reset': CLUSTER,
  'node.started': CLUSTER,
  'node.stopped': CLUSTER,
  'node.killed': CLUSTER,
  'node.paused': CLUSTER,
  'node.resumed': CLUSTER,
  'node.crashed': CLUSTER,
  'topic.created': NONE,
  'topic.deleted': NONE,
  'partition.leader-changed': NONE,
  'partition.isr-changed': NONE,
  'messages.produced': NONE,
  'messages.consumed': NONE,
  'consumer.started': CONSUMER,
  'consumer.stopped': CONSUMER,
  'consumer.killed': CONSUMER,
  'consumer.crashed': CONSUMER,
  'consumer.recovered': CONSUMER,
  'group.rebalanced': { consumer: 'rebalance', groupRebalance: true },
  'share.acknowledged': CONSUMER,
  'share.redelivered': CONSUMER,
  'share.archived': NONE,
  'student.joined': NONE,
  'student.removed': NONE,
  'class.updated': NONE,
  'checkpoint.passed': { progress: true },
};

/** One (subscription, socket event) pair an event goes to. */
export interface Target {
  key: string;
  channel: Channel;
}

/**
 * Every subscription key an event goes to, with the socket event it goes out as. The one source of
 * routing: the live fan-out and the replay of a new subscription both ask here, so they never differ.
 */
export function targetsOf(ev: LabEvent, scope: EventScope): Target[] {
  const route = ROUTES[ev.type];
  const out: Target[] = [{ key: subscriptionKey('events', ''), channel: 'event' }];
  const topic = eventField(ev, 'topic') ?? scope.topic;
  const group = eventField(ev, 'groupId') ?? scope.groupId;
  if (topic !== undefined) out.push({ key: subscriptionKey('topic', topic), channel: 'event' });
  if (group !== undefined) out.push({ key: subscriptionKey('group', group), channel: 'event' });
  if (route.cluster) out.push({ key: subscriptionKey('cluster', ''), channel: 'event' });
  if (route.consumer) {
    const consumer = eventField(ev, 'consumerId') ?? scope.consumerId;
    if (consumer !== undefined) out.push({ key: subscriptionKey('consumer', consumer), channel: route.consumer });
  }
  if (route.groupRebalance && group !== undefined) out.push({ key: subscriptionKey('group', group), channel: 'rebalance' });
  if (route.progress) out.push({ key: subscriptionKey('progress', ''), channel: 'progress' });
  return out;
}
