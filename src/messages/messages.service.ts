import { Inject, Injectable } from '@nestjs/common';
import { ownerOfClusterName, resolveTopic } from '../class/namespace';
import { INSTRUCTOR_ID, Principal } from '../class/principal';
import { QuotaService } from '../class/quotas';
import { ClusterService } from '../cluster/cluster.service';
import { LabError, badInput } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { KAFKA_ERRORS } from '../kafka/kafka-error-codes';
import { kafkaCodeToLabError, kafkaErrorToLabError } from '../kafka/kafka-error.mapper';
import { KafkaService } from '../kafka/kafka.service';
import { DefaultPartitioner } from '../kafka/partitioner';
import { MetadataSnapshot } from '../kafka/metadata-snapshot';
import { isUnknownInMetadata, KafkaWireError, MetadataTopic, OutMessage, ProducePartitionError } from '../kafka/protocol';
import { internalTopicRefusal } from '../topics/topic-name';
import { TopicsService } from '../topics/topics.service';
import { ProduceAggregator } from './produce-aggregator';
import { OutgoingMessage, ProduceRequest } from './produce-request';

export interface ProduceResult {
  partition: number;
  /** null with acks=0: Kafka does not say where the message went. */
  offset: string | null;
}

interface NotWritten {
  index: number;
  partition: number;
  value: string | null;
  reason: string;
}

/**
 * Writes messages for the API. Messages are placed on partitions here (Kafka's default partitioner:
 * murmur2 of the key, else round robin over partitions that have a leader) and sent one batch per
 * partition, so that when some partitions cannot take the write the answer says exactly which
 * messages were written and which were not.
 */
@Injectable()
export class MessagesService {
  private readonly partitioner = new DefaultPartitioner();

  constructor(
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    private readonly kafka: KafkaService,
    private readonly cluster: ClusterService,
    private readonly snapshot: MetadataSnapshot,
    private readonly topics: TopicsService,
    private readonly aggregator: ProduceAggregator,
    private readonly quotas: QuotaService,
  ) {}

  async produce(who: Principal, name: string, req: ProduceRequest): Promise<{ results: ProduceResult[] }> {
    const named = internalTopicRefusal(name, 'write to');
    if (named) throw new LabError('INTERNAL_TOPIC', named);
    const topic = await this.topic(who, name);
    const internal = internalTopicRefusal(name, 'write to', topic.isInternal);
    if (internal) throw new LabError('INTERNAL_TOPIC', internal);
    const count = topic.partitions.length;
    const place = this.partitioner.placement(topic.name, topic.partitions);
    const placed = req.messages.map((m, index) => {
      if (m.partition !== undefined && m.partition >= count) {
        throw badInput(`Topic ${name} has ${count} partition${count === 1 ? '' : 's'} (0..${count - 1}); messages[${index}] asks for partition ${m.partition}.`);
      }
      const partition = place(m);
      return { index, partition, m };
    });
    if (this.cluster.runningBrokerIds().length === 0) {
      throw unavailable(name, placed.map((p) => ({ index: p.index, partition: p.partition, value: p.m.value, reason: 'no broker of the cluster is running' })), req.messages.length);
    }

    // The whole request is judged before anything is sent: a refusal never leaves part of it written.
    this.quotas.produce(who, req.messages.length);
    const byPartition = new Map<number, typeof placed>();
    for (const p of placed) {
      const list = byPartition.get(p.partition) ?? [];
      list.push(p);
      byPartition.set(p.partition, list);
    }
    const outgoing = new Map([...byPartition].map(([partition, items]) => [partition, items.map((it) => toOutMessage(it.m))]));
    // One deadline for everything (metadata, connects, retries): the answer never takes longer.
    const outcomes = await this.kafka.produceWire(topic.name, outgoing, {
      acks: req.acks,
      timeoutMs: this.config.produceTimeoutMs,
      deadlineMs: this.config.produceTimeoutMs,
    });
    // Fresh metadata did not know the topic for any message: it was deleted since our picture of it
    // (up to a second old). A new look says "does not exist" (404) unless the topic is back.
    if ([...outcomes.values()].every(isUnknownInMetadata)) await this.topics.find(who, name);
    const isrOf = new Map(topic.partitions.map((p) => [p.partition, p.isr.length]));
    const results: ProduceResult[] = new Array(req.messages.length);
    const failed: NotWritten[] = [];
    const written: Record<number, number> = {};
    const firstOffsets: Record<number, string | null> = {};
    for (const [partition, items] of byPartition) {
      const o = outcomes.get(partition);
      if (o?.ok) {
        const base = o.baseOffset === null ? null : BigInt(o.baseOffset);
        items.forEach((it, i) => (results[it.index] = { partition, offset: base === null ? null : (base + BigInt(i)).toString() }));
        written[partition] = items.length;
        firstOffsets[partition] = o.baseOffset === null ? null : String(o.baseOffset);
        continue;
      }
      const reason = o ? this.reasonOf(o.error, name, partition, isrOf.get(partition)) : `partition ${partition} was not written (no answer)`;
      for (const it of items) failed.push({ index: it.index, partition, value: it.m.value, reason });
    }

    if (Object.keys(written).length) {
      this.aggregator.add(who.id, topic.name, { topic: topic.name, ...producedOwner(who, topic.name) }, written, firstOffsets);
    }
    if (failed.length) throw unavailable(name, failed.sort((a, b) => a.index - b.index), req.messages.length, results);
    return { results };
  }

  private async topic(who: Principal, name: string): Promise<MetadataTopic> {
    // With no broker running nothing is sent: the last picture, however old, places the messages so
    // the answer can say which were not written (fresh metadata would only say no broker answers).
    const maxAgeMs = this.cluster.runningBrokerIds().length === 0 ? Infinity : 1000;
    const cached = this.snapshot.topic(resolveTopic(who, name, (n) => this.snapshot.topic(n, maxAgeMs) !== undefined), maxAgeMs);
    if (cached) return cached;
    return (await this.topics.find(who, name)).topic;
  }

  /** The sentence for one partition's failure, without its final period (reasons are joined). */
  private reasonOf(e: Error, topic: string, partition: number, inSyncReplicas: number | undefined): string {
    const seconds = `${Math.round(this.config.produceTimeoutMs / 1000)} s`;
    let sentence: string;
    if (e instanceof ProducePartitionError) {
      const min = /min\.?isr requirement of (\d+)/i.exec(e.brokerMessage ?? '');
      sentence = kafkaCodeToLabError(e.code, {
        action: `write to topic ${topic}`,
        topic,
        partition,
        ...(e.code === KAFKA_ERRORS.NOT_ENOUGH_REPLICAS || e.code === KAFKA_ERRORS.NOT_ENOUGH_REPLICAS_AFTER_APPEND ? { inSyncReplicas, ...(min ? { minInsyncReplicas: Number(min[1]) } : {}) } : {}),
      }, e.brokerMessage ?? undefined).message;
    } else if (e instanceof KafkaWireError && e.kind === 'timeout') {
      sentence = `Kafka did not confirm the write to partition ${partition} within ${seconds} (it may or may not have been stored)`;
    } else if (e instanceof KafkaWireError && e.kind === 'closed') {
      sentence = `the connection to broker ${e.broker} broke before it confirmed the write to partition ${partition} (it may or may not have been stored)`;
    } else if (e instanceof KafkaWireError && e.kind === 'refused') {
      sentence = `the leader of partition ${partition}, broker ${e.broker}, is not running and no other replica took over within ${seconds}`;
    } else {
      sentence = kafkaErrorToLabError(e, { action: `write to topic ${topic}`, topic, partition, brokers: this.kafka.bootstrapServers() }).message;
    }
    return sentence.replace(/\.$/, '');
  }
}

function toOutMessage(m: OutgoingMessage): OutMessage {
  return m.headers ? { key: m.key, value: m.value, headers: m.headers } : { key: m.key, value: m.value };
}

function unavailable(topic: string, failed: NotWritten[], total: number, results?: ProduceResult[]): LabError {
  const reasons = [...new Set(failed.map((f) => f.reason))];
  const okCount = total - failed.length;
  const head = failed.length === total
    ? `None of the ${total} message${total === 1 ? '' : 's'} ${total === 1 ? 'was' : 'were'} written to topic ${topic}`
    : `${failed.length} of ${total} messages were not written to topic ${topic} (${okCount} were)`;
  const details: unknown[] = failed.map((f) => ({ index: f.index, partition: f.partition, written: false, reason: f.reason }));
  if (results) results.forEach((r, index) => r && details.push({ index, partition: r.partition, offset: r.offset, written: true }));
  return new LabError('KAFKA_UNAVAILABLE', `${head}: ${reasons.join('; ')}.`, details);
}

/**
 * Who sees a messages.produced event: the topic's student (their topic, whoever wrote to it); on a
 * shared topic, the student who wrote (their own doing, not the rest of the class's: it names them
 * by id) or, for the instructor's writes, everyone.
 */
export function producedOwner(who: Pick<Principal, 'id' | 'role'>, clusterTopic: string): { owner?: string } {
  const owner = ownerOfClusterName(clusterTopic);
  if (owner !== INSTRUCTOR_ID) return { owner };
  return who.role === 'student' ? { owner: who.id } : {};
}
