import type { AckRequest, HostedAckResult, HostedMember, HostedRecord } from '../client-host/client-host.types';
import { badInput, LabError } from '../common/lab-error';
import type { TimelineService } from '../timeline/timeline.service';
import type { EventScope } from '../timeline/timeline.types';
import { ShareLedger, ShareStory, ShareStoryEvent } from './share-story';

/** Who the share.* events are about, and how the owner names the cluster's topics. */
export interface HostedShareContext {
  consumerId: string;
  clusterGroupId: string;
  /** The owner's name of a cluster topic. */
  visibleTopic(clusterTopic: string): string;
  scope(): EventScope;
  timeline: Pick<TimelineService, 'publish'>;
}

/**
 * The share-group side of one hosted consumer: the records its member holds (ShareStory), the
 * acknowledgements a manual consumer sends through the host, and the share.* events they make, each
 * with the caller whose acknowledgement caused it as actor.
 */
export class HostedShare {
  private readonly story: ShareStory;
  /** Who asked for an acknowledgement in flight (`topic:partition:offset`), for the events' actor. */
  private readonly ackActors = new Map<string, string>();

  constructor(
    private readonly ctx: HostedShareContext,
    ledger: ShareLedger,
    deliveryLimit: number,
    private readonly manual: boolean,
  ) {
    this.story = new ShareStory(ledger, deliveryLimit, manual, (ev) => this.tell(ev));
  }

  /** Accepts, releases or rejects records `member` holds (cluster topic names); topics answered as the owner names them. */
  async acknowledge(member: HostedMember, acks: AckRequest[], actor: string): Promise<HostedAckResult[]> {
    const notHeld = acks.filter((a) => !this.story.holds(a.topic, a.partition, a.offset));
    if (notHeld.length > 0) {
      const names = notHeld.map((a) => `${this.ctx.visibleTopic(a.topic)} [${a.partition}] offset ${a.offset}`);
      throw badInput(`Consumer ${this.ctx.consumerId} does not hold ${names.join(', ')}: it can acknowledge only records it received and has not acknowledged yet, before their lock expires.`);
    }
    const keys = acks.map((a) => `${a.topic}:${a.partition}:${a.offset}`);
    // Set before sending: the host's `acknowledged` report may come ahead of the answer.
    for (const k of keys) this.ackActors.set(k, actor);
    this.story.sending(acks);
    let unanswered = false;
    try {
      const results = await member.acknowledge(acks);
      this.story.acknowledged(results);
      return results.map((r) => ({ ...r, topic: this.ctx.visibleTopic(r.topic) }));
    } catch (e) {
      // Unanswered in time, the acknowledgement may still reach Kafka: the records stay sent (not held
      // again) until the host's `acknowledged` report settles them, told with this caller as actor.
      unanswered = e instanceof LabError && e.code === 'TIMEOUT';
      if (!unanswered) this.story.unsent(acks);
      throw e;
    } finally {
      if (!unanswered) for (const k of keys) this.ackActors.delete(k);
    }
  }

  delivered(records: readonly HostedRecord[]): void {
    this.story.delivered(records);
  }

  acknowledged(results: readonly HostedAckResult[]): void {
    this.story.acknowledged(results);
    // Told once: an actor kept for an acknowledgement whose call timed out is done with.
    for (const r of results) for (const o of r.offsets) this.ackActors.delete(`${r.topic}:${r.partition}:${o}`);
  }

  lockExpired(records: ReadonlyArray<{ topic: string; partition: number; offset: string }>): void {
    this.story.lockExpired(records);
  }

  /** The member vanished or crashed: what it held comes back to the group. */
  memberGone(): void {
    this.story.memberGone();
    this.ackActors.clear();
  }

  /** The member left: a manual member's unacknowledged records go back to the group; an auto one accepts them as it closes. */
  memberLeft(): void {
    if (this.manual) this.story.memberGone();
    else this.story.forget();
  }

  private tell(ev: ShareStoryEvent): void {
    const { timeline, consumerId } = this.ctx;
    const scope = this.ctx.scope();
    const at = { groupId: this.ctx.clusterGroupId, topic: ev.topic, partition: ev.partition };
    if (ev.type === 'share.acknowledged') {
      const actor = this.ackActors.get(`${ev.topic}:${ev.partition}:${ev.offsets[0]}`) ?? 'kafka';
      timeline.publish({ type: 'share.acknowledged', actor, consumerId, ...at, offsets: ev.offsets, ackType: ev.ackType }, scope);
    } else if (ev.type === 'share.redelivered') {
      timeline.publish({ type: 'share.redelivered', actor: 'kafka', consumerId, ...at, offset: ev.offset, deliveryCount: ev.deliveryCount, ...(ev.why ? { why: ev.why } : {}) }, scope);
    } else {
      const actor = this.ackActors.get(`${ev.topic}:${ev.partition}:${ev.offset}`) ?? 'kafka';
      timeline.publish({ type: 'share.archived', actor, ...at, offset: ev.offset, why: ev.why }, scope);
    }
  }
}
