import { Injectable } from '@nestjs/common';
import type { ClusterView } from '../cluster/cluster.types';
import type { LabEvent } from './events';
import type { EventScope } from './timeline.types';

/** A message a consumer received: the API's `Message`. */
export interface LabMessage {
  seq: number;
  consumerId: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: string;
  /** share consumers: how often Kafka delivered this record (1 the first time). */
  deliveryCount?: number;
}

/** What the live streams carry. Listeners run synchronously: keep them cheap (queue, don't work). */
export interface LiveBusEvents {
  /** A timeline event, already stored, with who may see it. */
  event: (ev: LabEvent, scope: EventScope) => void;
  /** Messages one consumer received, in order (a batch per fetch). `owner` is the consumer's owner. */
  messages: (consumerId: string, owner: string, messages: LabMessage[]) => void;
  /** The cluster body after any node or cluster state change. */
  cluster: (view: ClusterView) => void;
}

/**
 * The one-way pipe from the parts that see things happen (drivers, watcher, consumers, timeline) to
 * the parts that show them (the socket.io gateway). Nothing flows back.
 */
@Injectable()
export class LiveBus {
  private readonly listeners: { [K in keyof LiveBusEvents]: Set<LiveBusEvents[K]> } = {
    event: new Set(),
    messages: new Set(),
    cluster: new Set(),
  };

  on<K extends keyof LiveBusEvents>(name: K, fn: LiveBusEvents[K]): () => void {
    (this.listeners[name] as Set<LiveBusEvents[K]>).add(fn);
    return () => (this.listeners[name] as Set<LiveBusEvents[K]>).delete(fn);
  }

  emit<K extends keyof LiveBusEvents>(name: K, ...args: Parameters<LiveBusEvents[K]>): void {
    for (const fn of this.listeners[name] as Set<(...a: Parameters<LiveBusEvents[K]>) => void>) {
      try {
        fn(...args);
      } catch {
        // A broken listener must not stop the others or the publisher; listeners log their own failures.
      }
    }
  }
}
