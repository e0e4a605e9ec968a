/**
 * What the gateway needs to know about consumers, provided by the consumers module (which owns them):
 * who owns a consumer, so a `{ consumer: id }` subscription is allowed only to whoever may see it.
 */
export interface ConsumerDirectory {
  /** The owner's principal id, or undefined when there is no such consumer. */
  ownerOf(consumerId: string): string | undefined;
}

export const CONSUMER_DIRECTORY = Symbol('CONSUMER_DIRECTORY');
