import { BrokerAddress } from './kafka-connection';
import { ElectionResult, electPreferredLeaders } from './elect-leaders';
import { fetchLatestOffsets, fetchTopicOffsets, PartitionOffsets } from './list-offsets';
import { ClusterMetadata, fetchMetadataFromAny } from './metadata';
import { PartitionElr, fetchPartitionElr } from './describe-topic-partitions';
import { ConfigEntry, fetchTopicConfigs } from './describe-configs';
import { WireProducer, WireProducerOptions } from './producer-pool';
import { ClientQuotaAlteration, ClientQuotaResult, alterClientQuotas } from './client-quotas';
import { ScramAlterResult, ScramDeletion, ScramUpsertion, ScramUserInfo, alterScramCredentials, describeScramCredentials } from './scram-credentials';

export * from './kafka-connection';
export * from './metadata';
export * from './list-offsets';
export * from './elect-leaders';
export * from './produce';
export * from './record-batch';
export * from './producer-pool';
export * from './offset-commit';
export * from './describe-topic-partitions';
export * from './describe-configs';
export * from './scram-credentials';
export * from './client-quotas';
export { Reader, Writer, WireFormatError, uuidToString, uuidBytes, ZERO_UUID } from './wire';

export interface KafkaWireOptions {
  /** Deadline of each call (connect + answer), across brokers. */
  timeoutMs?: number;
  clientId?: string;
  /** How long a silent broker gets before the next one is asked too. */
  staggerMs?: number;
}

/**
 * The few Kafka requests kafkajs cannot make for us, spoken directly: metadata that tolerates
 * leaderless partitions, earliest/latest offsets per partition, preferred leader election, ELR lists, a topic's configs,
 * SCRAM users. A plain
 * class (no Nest) so the kafka module can wrap it and tests can use it alone.
 */
export class KafkaWire {
  private readonly timeoutMs: number;
  private readonly clientId: string | undefined;
  private readonly staggerMs: number | undefined;

  constructor(opts: KafkaWireOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.clientId = opts.clientId;
    this.staggerMs = opts.staggerMs;
  }

  /** Cluster metadata for every topic, or for `topics` (unknown names come back with error code 3). */
  metadata(bootstrap: readonly BrokerAddress[], topics?: readonly string[]): Promise<ClusterMetadata> {
    return fetchMetadataFromAny(bootstrap, topics, { timeoutMs: this.timeoutMs, clientId: this.clientId, staggerMs: this.staggerMs });
  }

  /** `${topic}:${partition}` → earliest/latest, null for partitions without a (reachable) leader. */
  offsets(metadata: ClusterMetadata, topic: string): Promise<Map<string, PartitionOffsets>> {
    return fetchTopicOffsets(metadata, topic, { timeoutMs: this.timeoutMs, clientId: this.clientId });
  }

  /** Latest offsets of many topics, one request per leader (`topic:partition` → offset). */
  latestOffsets(metadata: ClusterMetadata, topics: readonly string[]): Promise<Map<string, string>> {
    return fetchLatestOffsets(metadata, topics, { timeoutMs: this.timeoutMs, clientId: this.clientId });
  }

  /** A producer keeping one connection per broker; the caller closes it. */
  producer(opts: Omit<WireProducerOptions, 'clientId'> = {}): WireProducer {
    return new WireProducer({ ...opts, clientId: this.clientId });
  }

  /** Each partition's eligible leader replicas, as the admin client (and kafka-topics.sh) reads them. */
  partitionElr(bootstrap: readonly BrokerAddress[], topic: string): Promise<PartitionElr[]> {
    return fetchPartitionElr(bootstrap, topic, { timeoutMs: this.timeoutMs, clientId: this.clientId, staggerMs: this.staggerMs });
  }

  /** A topic's configs with their sources, from any live broker (kafkajs's admin needs every partition led). */
  topicConfigs(bootstrap: readonly BrokerAddress[], topic: string): Promise<ConfigEntry[]> {
    return fetchTopicConfigs(bootstrap, topic, { timeoutMs: this.timeoutMs, clientId: this.clientId, staggerMs: this.staggerMs });
  }

  /** Deletes and upserts SCRAM credentials; each user's outcome, not thrown. */
  alterScram(bootstrap: readonly BrokerAddress[], change: { deletions?: readonly ScramDeletion[]; upsertions?: readonly ScramUpsertion[] }): Promise<ScramAlterResult[]> {
    return alterScramCredentials(bootstrap, change, { timeoutMs: this.timeoutMs, clientId: this.clientId, staggerMs: this.staggerMs });
  }

  /** The SCRAM users (`users` null: all of them) with their mechanisms and iterations. */
  describeScram(bootstrap: readonly BrokerAddress[], users: readonly string[] | null): Promise<ScramUserInfo[]> {
    return describeScramCredentials(bootstrap, users, { timeoutMs: this.timeoutMs, clientId: this.clientId, staggerMs: this.staggerMs });
  }

  /** Sets or removes client quotas (per user here); each entity's outcome, not thrown. */
  alterClientQuotas(bootstrap: readonly BrokerAddress[], alterations: readonly ClientQuotaAlteration[]): Promise<ClientQuotaResult[]> {
    return alterClientQuotas(bootstrap, alterations, { timeoutMs: this.timeoutMs, clientId: this.clientId, staggerMs: this.staggerMs });
  }

  electPreferred(bootstrap: readonly BrokerAddress[], topic: string, partitions: readonly number[]): Promise<ElectionResult[]> {
    return electPreferredLeaders(bootstrap, topic, partitions, { timeoutMs: this.timeoutMs, clientId: this.clientId, staggerMs: this.staggerMs });
  }
}
