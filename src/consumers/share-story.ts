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

  /** Takes back a reason noted too early (an acknowledgement that did not go through). */
  unnote(key: string, why: RedeliveryWhy): void {
    if (this.why.get(key) === why) this.why.delete(key);
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

type HeldRecord = { topic: string; partition: number; offset: string; deliveryCount: number };

/**
 * The records one share member holds (delivered, not yet acknowledged or expired) and the share.*
 * events its reports make: redelivered (a delivery count above 1), acknowledged, and archived (a
 * reject, or a record given back at the delivery limit: Kafka will not deliver it again).
 *
 * An acknowledgement is taken from `held` when it is sent (`sending`), not when Kafka's answer comes:
 * a released record can be delivered again before the answer is read, and must meet its reason then.
 */
export class ShareStory {
  /** Held records by key, with their delivery count. */
  private readonly held = new Map<string, HeldRecord>();
  /** Records whose acknowledgement was sent and not yet confirmed, with its type. */
  private readonly sent = new Map<string, { rec: HeldRecord; type: AcknowledgeType }>();

  constructor(
    private readonly ledger: ShareLedger,
    private readonly deliveryLimit: number,
    /** manual members acknowledge explicitly (through `sending`); auto ones implicitly, what they hold. */
    private readonly explicit: boolean,
    private readonly tell: (ev: ShareStoryEvent) => void,
  ) {}

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

  /** Explicit acknowledgements about to go to Kafka (every one held: the caller checked). */
  sending(acks: ReadonlyArray<{ topic: string; partition: number; offset: string; type: AcknowledgeType }>): void {
    for (const a of acks) {
      const k = recordKey(a.topic, a.partition, a.offset);
      const rec = this.held.get(k);
      if (!rec) continue;
      this.drop(k);
      this.sent.set(k, { rec, type: a.type });
      if (a.type === 'release' && rec.deliveryCount < this.deliveryLimit) this.ledger.note(a.topic, a.partition, a.offset, 'released');
    }
  }

  /** The acknowledgement call failed as a whole: what it would have settled is held again. */
  unsent(acks: ReadonlyArray<{ topic: string; partition: number; offset: string }>): void {
    for (const a of acks) this.backToHeld(recordKey(a.topic, a.partition, a.offset));
  }

  /**
   * Acknowledgements Kafka took (or refused), explicit or implicit. Told once per record: the host
   * reports explicit ones both as the acknowledge call's answer and as `acknowledged`.
   */
  acknowledged(results: readonly HostedAckResult[]): void {
    for (const res of results) {
      const keys = res.offsets.map((o) => recordKey(res.topic, res.partition, o));
      if (res.error) {
        // Refused (e.g. the lock had run out): the record is not settled; a lockExpired tells if it went.
        keys.forEach((k) => this.backToHeld(k));
        continue;
      }
      const settled: Array<{ k: string; rec: HeldRecord }> = [];
      for (const k of keys) {
        // Explicit: only what was sent (the same offset may be held again, a later delivery); implicit: what is held.
        const rec = this.explicit ? this.sent.get(k)?.rec : this.held.get(k);
        if (!rec) continue;
        if (this.explicit) this.sent.delete(k);
        else this.drop(k);
        settled.push({ k, rec });
      }
      if (settled.length === 0) continue;
      this.tell({ type: 'share.acknowledged', topic: res.topic, partition: res.partition, offsets: settled.map((x) => x.rec.offset), ackType: res.type });
      for (const { rec } of settled) {
        if (res.type === 'reject') this.tell({ type: 'share.archived', topic: rec.topic, partition: rec.partition, offset: rec.offset, why: 'rejected' });
        // Below the limit the reason was noted when the release was sent.
        else if (res.type === 'release' && rec.deliveryCount >= this.deliveryLimit) this.givenBack(rec, 'released');
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
    this.sent.clear();
  }

  /** auto members that leave: the client accepts what it holds as it closes; nothing comes back. */
  forget(): void {
    for (const k of [...this.held.keys()]) this.drop(k);
    this.sent.clear();
  }

  private drop(key: string): void {
    this.held.delete(key);
    this.ledger.settled(key, this);
  }

  private backToHeld(key: string): void {
    const s = this.sent.get(key);
    if (!s) return;
    this.sent.delete(key);
    if (s.type === 'release') this.ledger.unnote(key, 'released');
    this.held.set(key, s.rec);
    this.ledger.hold(key, this);
  }

  /** Back to the group: delivered again (why noted), or archived when it has had its deliveries. */
  private givenBack(rec: HeldRecord, why: RedeliveryWhy): void {
    if (rec.deliveryCount >= this.deliveryLimit) {
      const how = why === 'released' ? 'released' : 'lock expired';
      this.tell({ type: 'share.archived', topic: rec.topic, partition: rec.partition, offset: rec.offset, why: `${how} at the delivery limit (${this.deliveryLimit})` });
    } else {
      this.ledger.note(rec.topic, rec.partition, rec.offset, why);
    }
  }
}
