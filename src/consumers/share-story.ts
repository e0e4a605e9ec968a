import type { AcknowledgeType, HostedAckResult, HostedRecord } from '../client-host/client-host.types';

/** A record of one share-partition (cluster topic name): `topic:partition:offset`. */
const recordKey = (topic: string, partition: number, offset: string) => `${topic}:${partition}:${offset}`;

export type RedeliveryWhy = 'released' | 'lock expired' | 'member left';

/**
 * What the server knows, per share group, about records given back to the group: why the next delivery
 * of a record happens. Shared by every member of the group we run, since any of them may get it again.
 */
export class ShareLedger {
  private readonly why = new Map<string, RedeliveryWhy>();
  /** Who holds each record delivered to a member we run and not yet acknowledged, expired or given back. */
  private readonly holders = new Map<string, ShareStory>();

  note(topic: string, partition: number, offset: string, why: RedeliveryWhy): void {
    this.why.set(recordKey(topic, partition, offset), why);
    // A record archived or taken by a member we do not run never comes back to us: keep the map small.
    if (this.why.size > 10_000) this.why.delete(this.why.keys().next().value as string);
  }

  hold(key: string, story: ShareStory): void {
    this.holders.set(key, story);
  }

  settled(key: string, story: ShareStory): void {
    if (this.holders.get(key) === story) this.holders.delete(key);
  }

  /**
   * A record delivered again, to `to`: why, once (null when the server cannot tell, e.g. it was a member
   * of someone else's). A record some member of ours still holds went back at the broker's lock end,
   * before that member noticed: its lock expired, and that member holds it no more.
   */
  redelivered(key: string, to: ShareStory): RedeliveryWhy | null {
    let why = this.why.get(key) ?? null;
    this.why.delete(key);
    const before = this.holders.get(key);
    if (before) {
      before.lost(key);
      why ??= 'lock expired';
    }
    this.holders.set(key, to);
    return why;
  }
}

/** The share.* events one member's story tells (cluster names; the session adds groupId and consumerId). */
export type ShareStoryEvent =
  | { type: 'share.acknowledged'; topic: string; partition: number; offsets: string[]; ackType: AcknowledgeType }
  | { type: 'share.redelivered'; topic: string; partition: number; offset: string; deliveryCount: number; why?: RedeliveryWhy }
  | { type: 'share.archived'; topic: string; partition: number; offset: string; why: string };

/**
 * The records one share member holds (delivered, not yet acknowledged or expired) and the share.*
 * events its reports make: redelivered (a delivery count above 1), acknowledged, and archived (a
 * reject, or a record given back at the delivery limit: Kafka will not deliver it again).
 */
export class ShareStory {
  /** Held records by key, with their delivery count. */
  private readonly held = new Map<string, { topic: string; partition: number; offset: string; deliveryCount: number }>();

  constructor(
    private readonly ledger: ShareLedger,
    private readonly deliveryLimit: number,
    private readonly tell: (ev: ShareStoryEvent) => void,
  ) {}

  get heldCount(): number {
    return this.held.size;
  }

  holds(topic: string, partition: number, offset: string): boolean {
    return this.held.has(recordKey(topic, partition, offset));
  }

  delivered(records: readonly HostedRecord[]): void {
    for (const r of records) {
      const deliveryCount = r.deliveryCount ?? 1;
      const k = recordKey(r.topic, r.partition, r.offset);
      if (deliveryCount > 1) {
        const why = this.ledger.redelivered(k, this);
        this.tell({ type: 'share.redelivered', topic: r.topic, partition: r.partition, offset: r.offset, deliveryCount, ...(why ? { why } : {}) });
      } else {
        this.ledger.hold(k, this);
      }
      this.held.set(k, { topic: r.topic, partition: r.partition, offset: r.offset, deliveryCount });
    }
  }

  /** Another member got this record: it went back to the group without this member noticing yet. */
  lost(key: string): void {
    this.held.delete(key);
  }

  /**
   * Acknowledgements Kafka took (or refused). Told once per record: the host reports explicit ones both
   * as the acknowledge call's answer and as `acknowledged`, and only records still held count.
   */
  acknowledged(results: readonly HostedAckResult[]): void {
    for (const res of results) {
      if (res.error) continue; // refused: the record is not given back by this ack (a lockExpired tells if it went)
      const offsets = res.offsets.filter((o) => this.held.has(recordKey(res.topic, res.partition, o)));
      if (offsets.length === 0) continue;
      this.tell({ type: 'share.acknowledged', topic: res.topic, partition: res.partition, offsets, ackType: res.type });
      for (const offset of offsets) {
        const k = recordKey(res.topic, res.partition, offset);
        const rec = this.held.get(k)!;
        this.drop(k);
        if (res.type === 'reject') this.tell({ type: 'share.archived', topic: res.topic, partition: res.partition, offset, why: 'rejected' });
        else if (res.type === 'release') this.givenBack(rec, 'released');
      }
    }
  }

  /** manual members: records held past the record lock went back to the group. */
  lockExpired(records: ReadonlyArray<{ topic: string; partition: number; offset: string }>): void {
    for (const r of records) {
      const k = recordKey(r.topic, r.partition, r.offset);
      const rec = this.held.get(k);
      if (!rec) continue;
      this.drop(k);
      this.givenBack(rec, 'lock expired');
    }
  }

  /**
   * The member is gone without acknowledging what it held (killed, crashed, or left with records
   * unacknowledged): Kafka gives them back when their lock expires or the member is removed.
   */
  memberGone(): void {
    for (const [k, rec] of [...this.held]) {
      this.drop(k);
      this.givenBack(rec, 'member left');
    }
  }

  /** auto members that leave: the client accepts what it holds as it closes; nothing comes back. */
  forget(): void {
    for (const k of [...this.held.keys()]) this.drop(k);
  }

  private drop(key: string): void {
    this.held.delete(key);
    this.ledger.settled(key, this);
  }

  /** Back to the group: delivered again (why noted), or archived when it has had its deliveries. */
  private givenBack(rec: { topic: string; partition: number; offset: string; deliveryCount: number }, why: RedeliveryWhy): void {
    if (rec.deliveryCount >= this.deliveryLimit) {
      const how = why === 'released' ? 'released' : 'lock expired';
      this.tell({ type: 'share.archived', topic: rec.topic, partition: rec.partition, offset: rec.offset, why: `${how} at the delivery limit (${this.deliveryLimit})` });
    } else {
      this.ledger.note(rec.topic, rec.partition, rec.offset, why);
    }
  }
}
