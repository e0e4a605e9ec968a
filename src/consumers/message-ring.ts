import type { LabMessage } from '../timeline/live-bus';

/**
 * The last `capacity` messages one consumer received, for scripts that poll. Sequence numbers are
 * consecutive per consumer, so the position of a seq in the ring is arithmetic, not a search.
 */
export class MessageRing {
  private readonly items: LabMessage[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  push(batch: readonly LabMessage[]): void {
    for (const m of batch) {
      if (this.items.length < this.capacity) {
        this.items.push(m);
      } else {
        this.items[this.start] = m;
        this.start = (this.start + 1) % this.capacity;
      }
    }
  }

  private at(i: number): LabMessage {
    return this.items[(this.start + i) % this.items.length];
  }

  /** Messages with seq > after, oldest first, at most `limit`; `next` is the last seq returned (or `after`). */
  after(after: number, limit: number): { messages: LabMessage[]; next: number } {
    const n = this.items.length;
    if (n === 0) return { messages: [], next: after };
    const first = this.at(0).seq;
    const from = Math.max(0, Math.min(n, after - first + 1));
    const messages: LabMessage[] = [];
    for (let i = from; i < n && messages.length < limit; i++) messages.push(this.at(i));
    return { messages, next: messages.length ? messages[messages.length - 1].seq : Math.max(after, 0) };
  }
}
