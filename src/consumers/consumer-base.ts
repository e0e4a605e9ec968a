import type { LabEvent } from '../timeline/events';
import { LabMessage, LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { EventScope } from '../timeline/timeline.types';
import { TopicPartitions } from './assignment-diff';
import type { AckMode, ConsumerProtocol, ConsumerState, ConsumerView } from './consumer.types';
import { MessageRing } from './message-ring';
import { ReadyGate } from './ready-gate';

/** API.md promises at least 1000 kept messages per consumer. */
export const RING_SIZE = 2000;

/**
 * `groupId`/`topics` are the names the owner used (shown by the API, put on messages); the cluster
 * names (per-student namespaces) are what Kafka and the timeline see.
 */
export interface SessionSpec {
  id: string;
  name: string;
  owner: string;
  groupId: string;
  topics: string[];
  clusterGroupId: string;
  clusterTopics: string[];
  fromBeginning: boolean;
}

export interface ConsumerBaseDeps {
  timeline: Pick<TimelineService, 'publish' | 'lastSeq'>;
  bus: LiveBus;
}

type LifecycleEvent = 'consumer.started' | 'consumer.stopped' | 'consumer.killed' | 'consumer.crashed' | 'consumer.recovered';

/**
 * What every API consumer is, whichever client runs its member (kafkajs for classic groups, the client
 * host for the new protocols): its names, the messages it keeps and hands to the live layer, its view,
 * and its consumer.* events. The subclasses run the member and tell its story.
 */
export abstract class ConsumerBase {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly groupId: string;
  readonly topics: string[];
  readonly clusterGroupId: string;
  readonly clusterTopics: string[];
  readonly fromBeginning: boolean;
  readonly createdAt = new Date().toISOString();
  /** The timeline position just before this consumer existed: its story is every event of it after this. */
  readonly storyAfter: number;
  abstract readonly protocol: ConsumerProtocol;
  abstract get memberId(): string | null;

  state: ConsumerState = 'joining';
  received = 0;

  /** The seq of its consumer.started event (Consumer.seq); 0 until it started. */
  protected startedSeq = 0;
  /** The seq of the newest message it received. */
  protected seq = 0;
  protected readonly ready = new ReadyGate();
  private readonly ring = new MessageRing(RING_SIZE);
  private readonly visibleTopic: Map<string, string>;

  protected constructor(spec: SessionSpec, private readonly base: ConsumerBaseDeps) {
    this.id = spec.id;
    this.name = spec.name;
    this.owner = spec.owner;
    this.groupId = spec.groupId;
    this.topics = spec.topics;
    this.clusterGroupId = spec.clusterGroupId;
    this.clusterTopics = spec.clusterTopics;
    this.fromBeginning = spec.fromBeginning;
    this.visibleTopic = new Map(spec.clusterTopics.map((t, i) => [t, spec.topics[i]]));
    this.storyAfter = base.timeline.lastSeq;
  }

  messages(after: number, limit: number): { messages: LabMessage[]; next: number } {
    return this.ring.after(after, limit);
  }

  /** The seq of the newest message it received (0: none yet). */
  get lastMessageSeq(): number {
    return this.seq;
  }

  isAlive(): boolean {
    return this.state === 'joining' || this.state === 'running' || this.state === 'crashed';
  }

  whenReady(timeoutMs: number): Promise<void> {
    return this.ready.whenReady(this.state === 'running', this.isAlive(), timeoutMs);
  }

  /** `Consumer` of API.md, with what only the member's client knows. */
  protected viewWith(member: { memberEpoch?: number | null; assignment: TopicPartitions[]; ack?: AckMode }): ConsumerView {
    const v: ConsumerView = {
      id: this.id,
      name: this.name,
      owner: this.owner,
      groupId: this.groupId,
      protocol: this.protocol,
      topics: [...this.topics],
      fromBeginning: this.fromBeginning,
      state: this.state,
      memberId: this.memberId,
      ...(member.memberEpoch !== undefined ? { memberEpoch: member.memberEpoch } : {}),
      assignment: this.visible(member.assignment),
      received: this.received,
      createdAt: this.createdAt,
      seq: this.startedSeq,
    };
    if (member.ack) v.ack = member.ack;
    return v;
  }

  /** Keeps received messages and hands them to the live layer. */
  protected deliver(out: LabMessage[]): void {
    this.received += out.length;
    this.ring.push(out);
    this.base.bus.emit('messages', this.id, this.owner, out);
  }

  /** The name the owner used for a cluster topic name. */
  protected visibleName(clusterTopic: string): string {
    return this.visibleTopic.get(clusterTopic) ?? clusterTopic;
  }

  protected visible(a: TopicPartitions[]): TopicPartitions[] {
    return a.map((tp) => ({ topic: this.visibleName(tp.topic), partitions: [...tp.partitions] }));
  }

  protected publish(type: LifecycleEvent, actor: string, extra: { reason?: string } = {}): LabEvent {
    // The start says how it reads: grading and a reader of the timeline need it after the consumer is gone.
    const how = type === 'consumer.started' ? { protocol: this.protocol, topics: [...this.clusterTopics], fromBeginning: this.fromBeginning } : {};
    return this.base.timeline.publish({ type, actor, consumerId: this.id, groupId: this.clusterGroupId, ...extra, ...how }, this.scope());
  }

  protected scope(): EventScope {
    return { owner: this.owner, consumerId: this.id, groupId: this.clusterGroupId, topic: this.clusterTopics[0] };
  }
}
