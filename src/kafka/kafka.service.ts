import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Admin, Consumer, ConsumerConfig, Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { BOOTSTRAP_SOURCE, BootstrapSource } from './cluster-link';
import { MetadataSnapshot } from './metadata-snapshot';
import { Acks, BrokerAddress, ClientQuotaAlteration, ClientQuotaResult, ClusterMetadata, ConfigEntry, CommitIdentity, CommitOffset, ElectionResult, KafkaWire, OffsetCommitter, OutMessage, PartitionElr, PartitionOffsets, PartitionOutcome, ScramAlterResult, ScramDeletion, ScramUpsertion, ScramUserInfo, WireProducer, parseBrokerAddresses } from './protocol';
import { KAFKA_ERRORS } from './kafka-error-codes';
import { isConnectionFailure } from './connection-failure';
import { KafkaErrorContext, kafkaErrorToLabError } from './kafka-error.mapper';
import { NoBrokerAnsweredError } from './protocol/kafka-connection';


/** How old the shared metadata snapshot may be for a first produce attempt to go by it. */
const PRODUCE_METADATA_MAX_AGE_MS = 2000;

/**
 * The one owner of kafkajs client objects. A reset or reshape of the cluster changes the bootstrap
 * list; the shared admin and the wire producer are then rebuilt on next use.
 */
@Injectable()
export class KafkaService implements OnModuleDestroy {
  private kafka: Kafka | null = null;
  private kafkaKey = '';
  /** The connected admin clients: the shared one, one for ACLs only (see aclAdmin), one for the external watcher (see watchAdmin). */
  private readonly admins = new Map<'shared' | 'acl' | 'watch', Promise<Admin>>();
  private readonly wire = new KafkaWire({ timeoutMs: 5000, clientId: 'kafka-lab' });
  private wireProducer: WireProducer | null = null;
  private wireProducerKey = '';
  private committer: OffsetCommitter | null = null;
  private committerKey = '';

  constructor(
    @Inject(BOOTSTRAP_SOURCE) private readonly source: BootstrapSource,
    private readonly snapshot: MetadataSnapshot,
  ) {}

  bootstrapServers(): string[] {
    return this.source.bootstrapServers();
  }

  /** Which cluster the clients are for: the set of brokers, whatever order they are preferred in. */
  private clusterKey(): string {
    return [...this.bootstrapServers()].sort().join(',');
  }

  private addresses(): BrokerAddress[] {
    return parseBrokerAddresses(this.bootstrapServers());
  }

  /** Metadata that tolerates leaderless partitions (kafkajs's throws), from the first broker that answers. */
  metadata(topics?: string[]): Promise<ClusterMetadata> {
    return this.wire.metadata(this.addresses(), topics);
  }

  /**
   * Metadata for `topics` from the shared snapshot when it is younger than `maxAgeMs` and knows each
   * of them, else asked for now: for checks that run every few seconds and need no newer picture.
   */
  recentMetadata(topics: string[], maxAgeMs = 2000): Promise<ClusterMetadata> {
    const md = this.snapshot.current(maxAgeMs);
    if (md && topics.every((t) => md.topics.some((x) => x.name === t && x.errorCode === KAFKA_ERRORS.NONE))) return Promise.resolve(md);
    return this.metadata(topics);
  }

  /**
   * kafkaErrorToLabError, after a look of our own when a connection to a broker failed: only when no
   * broker answers our metadata request is the cluster down; else that one broker is (a broker that
   * has just died is still listed, even named as controller, for about 6 s).
   */
  async explain(err: unknown, context: KafkaErrorContext = {}): Promise<Error> {
    if (context.noBrokerAnswers === undefined && isConnectionFailure(err)) {
      const noBrokerAnswers = await this.noBrokerAnswers();
      context = { ...context, noBrokerAnswers, ...(noBrokerAnswers && !context.brokers ? { brokers: this.bootstrapServers() } : {}) };
    }
    return kafkaErrorToLabError(err, context);
  }

  /** True when a metadata request newer than now finds no broker answering (false when unsure within `withinMs`). */
  noBrokerAnswers(withinMs = 2000): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), withinMs);
      this.snapshot.fresh().then(
        () => { clearTimeout(t); resolve(false); },
        (e) => { clearTimeout(t); resolve(e instanceof NoBrokerAnsweredError); },
      );
    });
  }

  /** Earliest and latest offset of each partition, null where the partition has no leader. */
  offsets(md: ClusterMetadata, topic: string): Promise<Map<string, PartitionOffsets>> {
    return this.wire.offsets(md, topic);
  }

  /** Latest offsets of many topics at once, one request per leader (`topic:partition` → offset; partitions that cannot tell are left out). */
  latestOffsets(md: ClusterMetadata, topics: readonly string[]): Promise<Map<string, string>> {
    return this.wire.latestOffsets(md, topics);
  }

  /** A topic's configs and their sources, read even while its partitions (or another topic's) have no leader. */
  topicConfigs(topic: string): Promise<ConfigEntry[]> {
    return this.wire.topicConfigs(this.addresses(), topic);
  }

  /** Each partition's eligible leader replicas (KIP-966), as kafka-topics.sh --describe reads them. */
  partitionElr(topic: string): Promise<PartitionElr[]> {
    return this.wire.partitionElr(this.addresses(), topic);
  }

  /** Preferred leader election (kafkajs has none). */
  electPreferred(topic: string, partitions: number[]): Promise<ElectionResult[]> {
    return this.wire.electPreferred(this.addresses(), topic, partitions);
  }

  /** Deletes and upserts SCRAM users (kafkajs has no such request); each user's outcome. */
  alterScramCredentials(change: { deletions?: readonly ScramDeletion[]; upsertions?: readonly ScramUpsertion[] }): Promise<ScramAlterResult[]> {
    return this.wire.alterScram(this.addresses(), change);
  }

  /** Sets or removes per-user client quotas (kafkajs has no such request); each user's outcome. */
  alterClientQuotas(alterations: readonly ClientQuotaAlteration[]): Promise<ClientQuotaResult[]> {
    return this.wire.alterClientQuotas(this.addresses(), alterations);
  }

  /** SCRAM users with their mechanisms (`users` null: every user). */
  describeScramCredentials(users: readonly string[] | null = null): Promise<ScramUserInfo[]> {
    return this.wire.describeScram(this.addresses(), users);
  }

  /**
   * Writes messages already placed on partitions with our own Produce requests over one shared
   * connection per broker: a partition without a leader fails alone while the others are written.
   * Retries with fresh metadata only where that can help (leader moved, leader dead but not yet
   * fenced), never past `deadlineMs`. Never rejects: each partition gets its outcome.
   */
  produceWire(
    topic: string,
    byPartition: Map<number, OutMessage[]>,
    opts: { acks: Acks; timeoutMs: number; deadlineMs: number },
  ): Promise<Map<number, PartitionOutcome>> {
    const key = this.clusterKey();
    if (!this.wireProducer || key !== this.wireProducerKey) {
      this.wireProducer?.close();
      this.wireProducer = new WireProducer({ clientId: 'kafka-lab' });
      this.wireProducerKey = key;
    }
    const getMetadata = (notBefore?: number): Promise<ClusterMetadata> => {
      // A Metadata round trip per HTTP write halves the write rate, so the first attempt goes by the
      // shared snapshot (polled every 500 ms) if it names a live leader for every partition written
      // (a stale "no leader" would fail at once); a retry asks for metadata newer than its failure.
      const md = notBefore === undefined ? this.snapshot.current(PRODUCE_METADATA_MAX_AGE_MS) : null;
      if (md && leadsAll(md, topic, byPartition)) return Promise.resolve(md);
      return this.snapshot.fresh(notBefore);
    };
    return this.wireProducer.produceWithRetry(getMetadata, topic, byPartition, opts);
  }

  /**
   * Commits a consumer's offsets once, as member `who` (see OffsetCommitter): Kafka's error code per
   * `topic:partition`. Rejects when no answer came within `timeoutMs`.
   */
  commitOffsets(who: CommitIdentity, offsets: CommitOffset[], timeoutMs: number): Promise<Map<string, number>> {
    const key = this.clusterKey();
    if (!this.committer || key !== this.committerKey) {
      this.committer?.close();
      this.committer = new OffsetCommitter({ clientId: 'kafka-lab' });
      this.committerKey = key;
    }
    return this.committer.commit(this.addresses(), who, offsets, timeoutMs);
  }

  /** A kafkajs client for the current bootstrap list. `extra` gives a private client (e.g. a consumer's socketFactory). */
  client(extra?: Partial<KafkaConfig>): Kafka {
    const brokers = this.bootstrapServers();
    const base: KafkaConfig = {
      clientId: 'kafka-lab',
      brokers,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      // Failover in KRaft takes ~6 s to fence a killed broker: keep retrying at least that long.
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 2000 },
      logLevel: logLevel.NOTHING,
    };
    if (extra) return new Kafka({ ...base, ...extra });
    const key = this.clusterKey();
    if (!this.kafka || key !== this.kafkaKey) {
      void this.resetShared();
      this.kafka = new Kafka(base);
      this.kafkaKey = key;
    }
    return this.kafka;
  }

  /** A connected admin client, shared. */
  admin(): Promise<Admin> {
    return this.connectedAdmin('shared');
  }

  /**
   * A connected admin client for ACLs only. Apart from the shared one because kafkajs refreshes the
   * metadata of every topic an admin has looked at before each ACL change, and fails it when one of
   * them was deleted since; this one never looks at a topic.
   */
  aclAdmin(): Promise<Admin> {
    return this.connectedAdmin('acl');
  }

  /**
   * A connected admin client for the external watcher's every-2-s looks. Apart from the shared one
   * because kafkajs's fetchOffsets adds each topic it asks about to the admin's metadata targets: one
   * deleted outside the API (kafka-topics.sh) then fails every later call of that admin with
   * UNKNOWN_TOPIC_OR_PARTITION; the watcher resets this one (resetOneAdmin) when that happens.
   */
  watchAdmin(): Promise<Admin> {
    return this.connectedAdmin('watch');
  }

  /**
   * Forget one admin only (the shared one or the external watcher's) after kafkajs poisoned it with a
   * topic deleted outside the API; calls already under way on it finish or fail on their own.
   */
  async resetOneAdmin(kind: 'shared' | 'watch'): Promise<void> {
    const connected = this.admins.get(kind);
    this.admins.delete(kind);
    await connected?.then((x) => x.disconnect()).catch(() => undefined);
  }

  private connectedAdmin(kind: 'shared' | 'acl' | 'watch'): Promise<Admin> {
    const kafka = this.client();
    let p = this.admins.get(kind);
    if (!p) {
      const admin = kafka.admin({ retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1000 } });
      const connecting = admin.connect().then(() => admin);
      connecting.catch(() => {
        if (this.admins.get(kind) === connecting) this.admins.delete(kind);
      });
      this.admins.set(kind, connecting);
      p = connecting;
    }
    return p;
  }

  /** A new consumer on a client of its own when `extra` is given (sockets it can cut on a kill). */
  consumer(config: ConsumerConfig, extra?: Partial<KafkaConfig>): Consumer {
    return this.client(extra).consumer(config);
  }

  /** Forget the shared admins only (their connections may be dead after a broker restart); producing goes on. */
  async resetAdmin(): Promise<void> {
    const connected = [...this.admins.values()];
    this.admins.clear();
    await Promise.all(connected.map((p) => p.then((x) => x.disconnect()).catch(() => undefined)));
  }

  /** Forget the shared admin, the wire producer and the offset committer (after a cluster reset). */
  async resetShared(): Promise<void> {
    this.wireProducer?.close();
    this.wireProducer = null;
    this.committer?.close();
    this.committer = null;
    await this.resetAdmin();
  }

  async onModuleDestroy(): Promise<void> {
    await this.resetShared();
  }
}

/** True when `md` names a live leader for every partition in `byPartition`. */
function leadsAll(md: ClusterMetadata, topic: string, byPartition: Map<number, unknown>): boolean {
  const t = md.topics.find((x) => x.name === topic);
  if (!t || t.errorCode !== KAFKA_ERRORS.NONE) return false;
  const live = new Set(md.brokers.map((b) => b.nodeId));
  for (const p of byPartition.keys()) {
    const leader = t.partitions.find((x) => x.partition === p)?.leader;
    if (leader == null || !live.has(leader)) return false;
  }
  return true;
}
