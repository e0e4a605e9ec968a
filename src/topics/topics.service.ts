import { Injectable, Logger } from '@nestjs/common';
import { fromClusterName, outsideOwnNamespace, ownerOfClusterName, reservedForStudents, resolveTopic, toClusterName, topicNameMax } from '../class/namespace';
import { notFoundSentence } from '../class/present';
import { INSTRUCTOR_ID, Principal } from '../class/principal';
import { QuotaService } from '../class/quotas';
import { ClusterService } from '../cluster/cluster.service';
import { byDeadline, withDeadline } from '../common/deadline';
import { LabError, badInput, conflict, notFound } from '../common/lab-error';
import { KAFKA_ERRORS } from '../kafka/kafka-error-codes';
import { kafkaErrorToLabError } from '../kafka/kafka-error.mapper';
import { KafkaService } from '../kafka/kafka.service';
import { PartitionWatcher } from '../kafka/partition-watcher';
import { TopicAdmin } from '../kafka/topic-admin';
import type { ClusterMetadata, MetadataTopic } from '../kafka/protocol';
import { TimelineService } from '../timeline/timeline.service';
import { renderDescribeText } from './describe-text';
import { CreateTopicDto } from './dto/create-topic.dto';
import { collidesWith, internalTopicRefusal, topicNameProblem } from './topic-name';

export interface PartitionView {
  partition: number;
  leader: number | null;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  earliestOffset: string | null;
  latestOffset: string | null;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  owner: string;
  replicationFactor: number;
  /** The topic's own settings (set at creation or later), e.g. { "min.insync.replicas": "2" }. */
  configs: Record<string, string>;
  partitions: PartitionView[];
  /** Things a student should know, e.g. partitions without a leader or with a shrunk ISR. */
  warnings: string[];
  /** POST only: the seq of its topic.created event, a cursor for `subscribe` and GET /api/events. */
  seq?: number;
}

export interface TopicSummary {
  name: string;
  partitions: number;
  replicationFactor: number;
  owner: string;
}

/**
 * The most a topic create or delete takes, all steps together: well inside the 60 s the contract
 * fuzzing (and a patient client) waits for an answer, with room for a request queued behind it.
 */
const CHANGE_BUDGET_MS = 25_000;

// Kafka's ConfigSource numbers: 1 = the topic's own setting, 5 = Kafka's default.
const SOURCE_TOPIC = 1;
const SOURCE_DEFAULT = 5;

/** Topics as the API shows them: kafkajs admin for create/delete/configs, our own metadata for the rest. */
@Injectable()
export class TopicsService {
  private readonly log = new Logger('Topics');

  constructor(
    private readonly kafka: KafkaService,
    private readonly admin: TopicAdmin,
    private readonly cluster: ClusterService,
    private readonly watcher: PartitionWatcher,
    private readonly timeline: TimelineService,
    private readonly quotas: QuotaService,
  ) {
    this.watcher.setScopeResolver((t) => topicScope(t));
  }

  async list(who: Principal, internal: boolean): Promise<TopicSummary[]> {
    const md = await this.metadata();
    const out: TopicSummary[] = [];
    for (const t of md.topics) {
      if (t.errorCode !== KAFKA_ERRORS.NONE || (t.isInternal && !internal) || (!internal && t.name.startsWith('__'))) continue;
      const name = fromClusterName(who, t.name);
      if (name === null) continue;
      out.push({ name, partitions: t.partitions.length, replicationFactor: rfOf(t), owner: ownerOfClusterName(t.name) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  create(who: Principal, dto: CreateTopicDto): Promise<TopicDescription> {
    return this.quotas.oneTopicCreateAtATime(who, () => this.createNow(who, dto));
  }

  private async createNow(who: Principal, dto: CreateTopicDto): Promise<TopicDescription> {
    const problem = topicNameProblem(dto.name, topicNameMax(who)) ?? reservedForStudents(dto.name, 'topic');
    if (problem) throw badInput(problem);
    const internal = internalTopicRefusal(dto.name, 'create');
    if (internal) throw new LabError('INTERNAL_TOPIC', internal);
    const configs = normaliseConfigs(dto.configs);
    // One deadline for the whole call (metadata, create, leaders, describe): a client waits no longer.
    const deadline = Date.now() + CHANGE_BUDGET_MS;
    const live = this.liveBrokers();
    if (dto.replicationFactor > live) {
      throw badInput(`replication factor ${dto.replicationFactor} is larger than the ${live} broker${live === 1 ? '' : 's'} that ${live === 1 ? 'is' : 'are'} running`);
    }
    const name = toClusterName(who, dto.name);
    const md = await this.metadata();
    const exists = (n: string) => md.topics.some((t) => t.name === n && t.errorCode === KAFKA_ERRORS.NONE);
    if (exists(name)) throw conflict(`Topic ${dto.name} already exists.`);
    // A student's name means the shared topic when they have none of their own (resolveTopic): one of
    // their own by that name would hide the shared one from them.
    if (name !== dto.name && ownerOfClusterName(dto.name) === INSTRUCTOR_ID && exists(dto.name)) {
      throw conflict(`Topic ${dto.name} already exists: the instructor shares it with the class. Use it, or choose another name for a topic of your own.`);
    }
    const clash = collidesWith(name, md.topics.map((t) => t.name));
    if (clash) throw conflict(`Topic ${dto.name} would collide with ${namedFor(who, clash)}: Kafka treats "." and "_" in topic names alike.`);
    this.quotas.topicCreate(who, dto.partitions, md.topics);

    const action = `create topic ${dto.name}`;
    await this.connectAdmin(action, deadline);
    let created: boolean;
    try {
      created = await this.admin.createTopic({ name, partitions: dto.partitions, replicationFactor: dto.replicationFactor, configs }, deadline);
    } catch (e) {
      const err = await this.kafka.explain(e, {
        action, topic: dto.name, partitions: dto.partitions, replicationFactor: dto.replicationFactor, liveBrokers: live, configs,
      });
      // Creating cannot fail with "does not exist": Kafka is still busy with a topic of that name.
      if (err instanceof LabError && err.code === 'NOT_FOUND') throw stillSettling(dto.name);
      throw err;
    }
    if (!created) throw conflict(`Topic ${dto.name} already exists.`);
    // Kafka answers before every broker knows the topic: wait until each partition has a leader that
    // serves it (answers its offsets), so whatever the caller does next finds the topic whole.
    await this.until(async () => {
      const md = await this.kafka.metadata([name]);
      const t = md.topics.find((x) => x.name === name);
      if (!t || t.errorCode !== KAFKA_ERRORS.NONE || t.partitions.length !== dto.partitions || t.partitions.some((p) => p.leader === null)) return false;
      const offsets = await this.kafka.offsets(md, name);
      return t.partitions.every((p) => offsets.get(`${name}:${p.partition}`)?.latest != null);
    }, Math.min(Date.now() + 15_000, deadline));
    // The watcher diffs snapshots: it must see the new topic before anything changes in it, or the
    // first leader election of the topic would have nothing to be compared with.
    await byDeadline(this.watcher.refresh(), Math.min(Date.now() + 5_000, deadline)).catch(() => undefined);
    const createdEvent = this.timeline.publish(
      { type: 'topic.created', actor: who.id, topic: name, partitions: dto.partitions, replicationFactor: dto.replicationFactor },
      { topic: name, ...topicScope(name) },
    );
    // Brokers learn of a new topic one by one, and the one asked next may not know it yet (seen right
    // after a delete and re-create of the same name): that is not "does not exist".
    for (;;) {
      try {
        return { ...(await byDeadline(this.describe(who, dto.name), deadline)), seq: createdEvent.seq };
      } catch (e) {
        if (!(e instanceof LabError && e.code === 'NOT_FOUND')) throw e;
        if (deadline - Date.now() < 200) throw stillSettling(dto.name);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async describe(who: Principal, name: string): Promise<TopicDescription> {
    return this.describeFound(who, name, await this.find(who, name));
  }

  private async describeFound(who: Principal, name: string, { topic, md }: { topic: MetadataTopic; md: ClusterMetadata }): Promise<TopicDescription> {
    const [offsets, configs] = await Promise.all([
      this.kafka.offsets(md, topic.name).catch(() => new Map()),
      this.configs(topic.name).catch(() => null),
    ]);
    const live = new Set(md.brokers.map((b) => b.nodeId));
    const rf = rfOf(topic);
    const partitions = [...topic.partitions].sort((a, b) => a.partition - b.partition).map((p) => {
      const o = offsets.get(`${topic.name}:${p.partition}`);
      const offline = [...new Set([...p.offlineReplicas, ...p.replicas.filter((r) => !live.has(r))])].sort((a, b) => a - b);
      return {
        partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: offline,
        earliestOffset: o?.earliest ?? null, latestOffset: o?.latest ?? null,
      };
    });
    const warnings: string[] = [];
    const leaderless = partitions.filter((p) => p.leader === null).map((p) => p.partition);
    if (leaderless.length) warnings.push(`Partition${leaderless.length > 1 ? 's' : ''} ${leaderless.join(', ')} ha${leaderless.length > 1 ? 've' : 's'} no leader: ${leaderless.length > 1 ? 'they' : 'it'} can be neither written nor read until a replica's broker comes back.`);
    const under = partitions.filter((p) => p.leader !== null && p.isr.length < p.replicas.length).map((p) => p.partition);
    if (under.length) warnings.push(`Partition${under.length > 1 ? 's' : ''} ${under.join(', ')} ${under.length > 1 ? 'are' : 'is'} under-replicated: fewer in-sync replicas than replicas.`);
    if (!configs) warnings.push('The topic configs could not be read just now.');
    return {
      name: fromClusterName(who, topic.name) ?? name,
      topicId: topic.topicId,
      owner: ownerOfClusterName(topic.name),
      replicationFactor: rf,
      configs: configs?.own ?? {},
      partitions,
      warnings,
    };
  }

  async describeText(who: Principal, name: string): Promise<string> {
    const found = await this.find(who, name);
    const d = await this.describeFound(who, name, found);
    const [all, elr] = await Promise.all([
      this.configs(found.topic.name).catch(() => null),
      // What the tool prints after Isr; Kafka 4's ELR fills it when an ISR falls below min.insync.replicas.
      this.kafka.partitionElr(found.topic.name).catch(() => []),
    ]);
    const elrOf = new Map(elr.map((e) => [e.partition, e]));
    return renderDescribeText({
      name: d.name,
      topicId: d.topicId,
      replicationFactor: d.replicationFactor,
      configs: all?.nonDefault ?? d.configs,
      // A broker's null list stays null (the tool prints N/A); a partition it did not describe prints empty.
      partitions: d.partitions.map((p) => {
        const e = elrOf.get(p.partition);
        return { ...p, elr: e ? e.elr : [], lastKnownElr: e ? e.lastKnownElr : [] };
      }),
    }, this.cluster.kafkaVersion());
  }

  async delete(who: Principal, name: string): Promise<void> {
    const named = internalTopicRefusal(name, 'delete');
    if (named) throw new LabError('INTERNAL_TOPIC', named);
    const { topic } = await this.find(who, name);
    const internal = internalTopicRefusal(name, 'delete', topic.isInternal);
    if (internal) throw new LabError('INTERNAL_TOPIC', internal);
    const owner = ownerOfClusterName(topic.name);
    this.mustOwn(who, name, owner, 'deletes it');
    const deadline = Date.now() + CHANGE_BUDGET_MS;
    await this.connectAdmin(`delete topic ${name}`, deadline);
    try {
      await this.admin.deleteTopic(topic.name, deadline);
    } catch (e) {
      throw await this.kafka.explain(e, { action: `delete topic ${name}`, topic: name });
    }
    await this.until(async () => {
      const t = (await this.kafka.metadata([topic.name])).topics.find((x) => x.name === topic.name);
      return !t || t.errorCode !== KAFKA_ERRORS.NONE;
    }, deadline);
    this.timeline.publish(
      { type: 'topic.deleted', actor: who.id, topic: topic.name, partitions: topic.partitions.length, replicationFactor: rfOf(topic) },
      { topic: topic.name, ...topicScope(topic.name) },
    );
  }

  /** Preferred leader election for every partition whose preferred replica is alive and in sync. */
  async electLeaders(who: Principal, name: string): Promise<TopicDescription> {
    const { topic, md } = await this.find(who, name);
    this.mustOwn(who, name, ownerOfClusterName(topic.name), 'elects its leaders');
    const live = new Set(md.brokers.map((b) => b.nodeId));
    const eligible = topic.partitions.filter((p) => p.replicas.length && live.has(p.replicas[0]) && p.isr.includes(p.replicas[0]));
    const notNow = topic.partitions.filter((p) => !eligible.includes(p));
    if (eligible.length) {
      let results;
      try {
        results = await this.kafka.electPreferred(topic.name, eligible.map((p) => p.partition));
      } catch (e) {
        throw kafkaErrorToLabError(e, { action: `elect leaders of topic ${name}`, topic: name });
      }
      const failed = results.filter((r) => r.errorCode !== KAFKA_ERRORS.NONE && r.errorCode !== KAFKA_ERRORS.ELECTION_NOT_NEEDED);
      if (failed.length) this.log.warn(`Election on ${topic.name}: ${failed.map((f) => `p${f.partition}: ${f.errorMessage ?? f.errorCode}`).join('; ')}`);
      // The controller elected them; wait until the brokers' metadata says so too.
      await this.until(async () => {
        const t = (await this.kafka.metadata([topic.name])).topics.find((x) => x.name === topic.name);
        return !!t && eligible.every((e) => t.partitions.find((p) => p.partition === e.partition)?.leader === e.replicas[0]);
      }, Date.now() + 5_000).catch(() => undefined);
    }
    await this.watcher.refresh().catch(() => undefined);
    const d = await this.describe(who, name);
    if (notNow.length) {
      d.warnings.push(`Partition${notNow.length > 1 ? 's' : ''} ${notNow.map((p) => p.partition).join(', ')} kept ${notNow.length > 1 ? 'their' : 'its'} leader: the preferred replica is not running or not in sync.`);
    }
    return d;
  }

  /**
   * The topic on the cluster for the caller's name (their own, else the shared one: resolveTopic);
   * 404 with a sentence when there is none, the same for another student's topic as for no topic.
   */
  async find(who: Principal, name: string): Promise<{ topic: MetadataTopic; md: ClusterMetadata }> {
    if (outsideOwnNamespace(who, name)) throw notFound(notFoundSentence('topic', name));
    const own = toClusterName(who, name);
    const md = await this.metadata(own === name ? [name] : [own, name]);
    const found = (n: string) => md.topics.find((t) => t.name === n && t.errorCode === KAFKA_ERRORS.NONE);
    const topic = found(resolveTopic(who, name, (n) => found(n) !== undefined));
    if (!topic) throw notFound(notFoundSentence('topic', name));
    return { topic, md };
  }

  /** A student changes only their own topics: a shared one is the instructor's (403, since they can see it). */
  private mustOwn(who: Principal, name: string, owner: string, act: string): void {
    if (who.role === 'instructor' || owner === who.id) return;
    throw new LabError('FORBIDDEN', `Topic ${name} is shared by the instructor; only the instructor ${act}.`);
  }

  private async metadata(topics?: string[]): Promise<ClusterMetadata> {
    if (this.kafka.bootstrapServers().length === 0 || this.cluster.view().state === 'stopped') {
      throw new LabError('CLUSTER_NOT_RUNNING', 'The Kafka cluster is stopped: start it first (POST /api/cluster/start).');
    }
    try {
      return await this.kafka.metadata(topics);
    } catch (e) {
      throw kafkaErrorToLabError(e, { brokers: this.kafka.bootstrapServers() });
    }
  }

  private async configs(clusterName: string): Promise<{ own: Record<string, string>; nonDefault: Array<[string, string]> }> {
    const entries = await withDeadline(this.kafka.topicConfigs(clusterName), 5000);
    const own: Record<string, string> = {};
    const nonDefault: Array<[string, string]> = [];
    for (const e of entries) {
      const value = e.value ?? '';
      if (e.source === SOURCE_TOPIC) own[e.name] = value;
      if (e.source !== SOURCE_DEFAULT) nonDefault.push([e.name, value]);
    }
    return { own, nonDefault };
  }

  private liveBrokers(): number {
    return this.cluster.runningBrokerIds().length;
  }

  /** The admin client connected by `deadline`, else a sentence. */
  private async connectAdmin(action: string, deadline: number): Promise<void> {
    try {
      await this.admin.connect(Math.min(Date.now() + 10_000, deadline));
    } catch (e) {
      throw await this.kafka.explain(e, { action });
    }
  }

  /** Waits until `probe` says yes; each probe is cut off at `deadline` too. */
  private async until(probe: () => Promise<boolean>, deadline: number): Promise<void> {
    for (;;) {
      if (await byDeadline(probe(), deadline).catch(() => false)) return;
      if (Date.now() > deadline) throw new LabError('TIMEOUT', 'Kafka accepted the change but did not finish it in time; look again in a moment.');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** How a sentence names a cluster topic to `who`: by their name for it, else without naming another's. */
function namedFor(who: Principal, clusterName: string): string {
  const name = fromClusterName(who, clusterName);
  return name === null ? 'a topic of another student' : `topic ${name}`;
}

/** A topic Kafka took but its brokers do not show yet (e.g. one of the same name was deleted a moment ago). */
function stillSettling(name: string): LabError {
  return new LabError('KAFKA_UNAVAILABLE', `Kafka has not settled topic ${name} yet (was a topic of that name deleted a moment ago?); look again with GET /api/topics/${name} in a moment.`);
}

function rfOf(t: MetadataTopic): number {
  return t.partitions.reduce((m, p) => Math.max(m, p.replicas.length), 0);
}

function normaliseConfigs(configs: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(configs ?? {})) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else throw badInput(`Config ${k} must have a string value, e.g. "2".`);
  }
  return out;
}

/** Who may see events about a cluster topic: its student owner, or everybody for the instructor's shared ones. */
function topicScope(clusterName: string): { owner?: string } {
  const owner = ownerOfClusterName(clusterName);
  return owner === INSTRUCTOR_ID ? {} : { owner };
}
