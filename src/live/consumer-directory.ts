import type { LabMessage } from '../timeline/live-bus';

/** What a `{ consumer }` subscription needs of one consumer: who may watch it, and what it still keeps. */
export interface ConsumerFeed {
  /** The owner's principal id. */
  readonly owner: string;
  /** The timeline position just before the consumer was created: its story is every event of it after this. */
  readonly storyAfter: number;
  /** The seq of the newest message it received (0: none yet). */
  readonly lastMessageSeq: number;
  /** The messages it still keeps with seq > after, oldest first, at most `limit`. */
  messages(after: number, limit: number): { messages: LabMessage[]; next: number };
}

/**
 * The one way the live layer looks at consumers, provided by the consumers module (which owns them).
 * Lookups are synchronous, so a subscription replays and registers with nothing slipping in between.
 */
export interface ConsumerDirectory {
  /** The consumer, or undefined when there is no such consumer. */
  feed(consumerId: string): ConsumerFeed | undefined;
}

export const CONSUMER_DIRECTORY = Symbol('CONSUMER_DIRECTORY');
