import type { ClassSettingsService } from '../../src/class/class-settings.service';
import { QuotaService } from '../../src/class/quotas';
import type { ClusterService } from '../../src/cluster/cluster.service';
import type { ConsumersService } from '../../src/consumers/consumers.service';
import { externalConsumerId } from '../../src/consumers/external-members';
import { ExternalWatcher, OFFSET_READS_AT_ONCE, QUIET_GROUP_EVERY_MS, ROUND_DEADLINE_MS } from '../../src/consumers/external-watcher';
import type { GroupAdmin, GroupInfo } from '../../src/kafka/group-admin';
import type { KafkaService } from '../../src/kafka/kafka.service';
import type { MetadataSnapshot } from '../../src/kafka/metadata-snapshot';
import type { ClusterMetadata } from '../../src/kafka/protocol';
import type { TopicAdmin } from '../../src/kafka/topic-admin';
import { OUTSIDE_AFTER_MS } from '../../src/consumers/external-topics';
import type { NewEvent } from '../../src/timeline/events';
import { LiveBus } from '../../src/timeline/live-bus';
import type { TimelineService } from '../../src/timeline/timeline.service';

const KCAT = 's-abc123.kcat';
const API = 's-abc123.api';
const EMPTY = 's-abc123.old';

/** The watcher over stand-ins: a cluster of three classic groups, one with a kcat member. */
function setup(classListener: { publicHost: string; bindHost: string; tls: boolean } | null = { publicHost: '127.0.0.1', bindHost: '127.0.0.1', tls: false }) {
  const groups = new Map<string, GroupInfo>([
    [KCAT, { groupId: KCAT, state: 'Stable', protocol: 'range', members: [{ memberId: 'rdkafka-1', clientId: 'rdkafka', clientHost: '/127.0.0.1', topics: ['s-abc123.t'], assignment: { 's-abc123.t': [0] } }] }],
    [API, { groupId: API, state: 'Stable', protocol: 'RoundRobinAssigner', members: [{ memberId: 'm-1', clientId: 'klab-c1', clientHost: '/127.0.0.1', topics: ['s-abc123.t'], assignment: { 's-abc123.t': [0] } }] }],
    [EMPTY, { groupId: EMPTY, state: 'Empty', protocol: '', members: [] }],
  ]);
  const sessions = new Set(['klab-c1']);
  const described: string[][] = [];
  const offsetsOf: string[] = [];
  let commit = '0';
  const admin = {
    // The watcher asks through an admin of its own; here the same stand-in.
    apart: () => admin,
    listGroups: async () => [...groups.keys()].map((groupId) => ({ groupId, protocolType: 'consumer' })),
    describeGroups: async (ids: string[]) => {
      described.push([...ids]);
      return ids.map((id) => groups.get(id)!).filter(Boolean);
    },
    committedOffsets: async (groupId: string, topics: string[]) => {
      offsetsOf.push(groupId);
      return topics.map((topic) => ({ topic, partition: 0, offset: commit }));
    },
  } as unknown as GroupAdmin;
  const kafka = {
    recentMetadata: async () => ({}),
    offsets: async () => new Map([['s-abc123.t:0', { earliest: '0', latest: '9' }]]),
  } as unknown as KafkaService;
  const consumers = {
    // Only sessions the server has now are known by id; a lingering klab- member of one gone is not.
    consumerIdOf: (_m: string, clientId: string) => (sessions.has(clientId) ? clientId.slice(5) : null),
    protocolOfGroup: () => null,
  } as unknown as ConsumersService;
  const published: NewEvent[] = [];
  const queried: unknown[] = [];
  const timeline = {
    publish: (ev: NewEvent) => published.push(ev),
    query: (q: unknown) => (queried.push(q), { events: [], next: 0 }),
  } as unknown as TimelineService;
  const cluster = { view: () => ({ state: 'running' }) } as unknown as ClusterService;
  const bus = new LiveBus();
  const quotas = new QuotaService({ get: () => ({ quotas: { topics: 2, partitionsPerTopic: 4, partitions: 6, consumers: 4, producePerSecond: 100, messagesPerRequest: 100 } }) } as unknown as ClassSettingsService);
  const deleted: string[] = [];
  let deleteFails = false;
  const topicAdmin = {
    deleteTopic: async (name: string) => {
      if (deleteFails) throw new Error('NOT_CONTROLLER');
      deleted.push(name);
    },
  } as unknown as TopicAdmin;
  const watcher = new ExternalWatcher(admin, kafka, consumers, timeline, cluster, bus, {} as MetadataSnapshot, { classListener }, quotas, topicAdmin);
  return { watcher, admin, groups, described, offsetsOf, published, queried, bus, deleted, setCommit: (c: string) => (commit = c), failDeletes: (f: boolean) => (deleteFails = f) };
}

describe('ExternalWatcher: cheap looks at the class groups', () => {
  it('describes every group once, then only those with external members each round, the quiet ones again after a while', async () => {
    const { watcher, described, offsetsOf } = setup();
    await watcher.round(0);
    expect(described).toEqual([[API, EMPTY, KCAT].sort()]);
    // Committed offsets only for the group with a member the server does not run.
    expect(offsetsOf).toEqual([KCAT]);
    await watcher.round(2000);
    await watcher.round(4000);
    expect(described.slice(1)).toEqual([[KCAT], [KCAT]]);
    await watcher.round(QUIET_GROUP_EVERY_MS);
    expect(described[3]).toEqual([API, EMPTY, KCAT].sort());
  });

  it('puts the kcat member on the timeline once, its commits as it reads, and its stop when its group is gone', async () => {
    const { watcher, groups, published, setCommit } = setup();
    await watcher.round(0);
    const id = externalConsumerId('rdkafka-1');
    expect(published.map((e) => e.type)).toEqual(['consumer.started', 'group.rebalanced']);
    expect(published[0]).toMatchObject({ consumerId: id, groupId: KCAT, external: true, clientId: 'rdkafka', clientHost: '127.0.0.1', topics: ['s-abc123.t'] });
    await watcher.round(2000);
    expect(published).toHaveLength(2);
    setCommit('4');
    await watcher.round(4000);
    expect(published[2]).toMatchObject({ type: 'messages.consumed', consumerId: id, count: 4, offsets: { '0': [['0', '3']] } });
    groups.delete(KCAT);
    await watcher.round(6000);
    expect(published.slice(3).map((e) => e.type)).toEqual(['consumer.stopped']);
  });

  it('a lingering member of one of the server\'s own consumers (its session gone) is not an external consumer', async () => {
    const { watcher, groups, published, offsetsOf } = setup();
    groups.delete(KCAT);
    const GONE = 's-abc123.gone';
    // A consumer deleted within its session timeout, or the server restarted: Kafka keeps its member a while.
    groups.set(GONE, { groupId: GONE, state: 'Stable', protocol: 'RoundRobinAssigner', members: [{ memberId: 'klab-c9-1234', clientId: 'klab-c9', clientHost: '/127.0.0.1', topics: ['s-abc123.t'], assignment: { 's-abc123.t': [0, 1] } }] });
    await watcher.round(0);
    await watcher.round(2000);
    expect(published).toEqual([]);
    expect(offsetsOf).toEqual([]);
  });
});

describe('ExternalWatcher: a group mid-rebalance', () => {
  it('is looked at again next round: Kafka describes its members without subscription or assignment then', async () => {
    const { watcher, groups, published } = setup();
    const stable = groups.get(KCAT)!;
    groups.set(KCAT, { ...stable, state: 'CompletingRebalance', members: stable.members.map((m) => ({ ...m, topics: [], assignment: {} })) });
    await watcher.round(0);
    expect(published).toEqual([]);
    groups.set(KCAT, stable);
    await watcher.round(2000);
    expect(published.map((e) => e.type)).toEqual(['consumer.started', 'group.rebalanced']);
    expect(published[0]).toMatchObject({ topics: ['s-abc123.t'] });
  });
});

describe('ExternalWatcher: only with the class listener on', () => {
  afterEach(() => jest.useRealTimers());

  it('with the class listener off it never starts: no look at the timeline, no Kafka calls, no events, no bus listener', async () => {
    jest.useFakeTimers();
    const { watcher, described, offsetsOf, published, queried, bus } = setup(null);
    const on = jest.spyOn(bus, 'on');
    watcher.onModuleInit();
    await jest.advanceTimersByTimeAsync(5 * QUIET_GROUP_EVERY_MS);
    watcher.onModuleDestroy();
    expect({ queried, described, offsetsOf, published }).toEqual({ queried: [], described: [], offsetsOf: [], published: [] });
    expect(on).not.toHaveBeenCalled();
  });

  it('with it on it takes up the stored timeline and looks every couple of seconds', async () => {
    jest.useFakeTimers();
    const { watcher, described, published, queried } = setup();
    watcher.onModuleInit();
    await jest.advanceTimersByTimeAsync(3000);
    watcher.onModuleDestroy();
    expect(queried.length).toBeGreaterThan(0);
    expect(described.length).toBeGreaterThan(0);
    expect(published.map((e) => e.type)).toEqual(['consumer.started', 'group.rebalanced']);
  });
});

describe('ExternalWatcher: a round\'s cost is bounded', () => {
  afterEach(() => jest.useRealTimers());

  /** 40 students' groups, each with a kcat member. */
  function manyGroups() {
    const t = setup();
    t.groups.clear();
    for (let i = 0; i < 40; i++) {
      const id = `s-st${String(i).padStart(4, '0')}.g`;
      t.groups.set(id, { groupId: id, state: 'Stable', protocol: 'range', members: [{ memberId: `rdkafka-${i}`, clientId: 'rdkafka', clientHost: '/127.0.0.1', topics: [`s-st${i}.t`], assignment: { [`s-st${i}.t`]: [0] } }] });
    }
    return t;
  }

  it(`reads committed offsets of ${OFFSET_READS_AT_ONCE} groups at a time, and a group that fails is logged, not fatal to the others`, async () => {
    const t = manyGroups();
    let inFlight = 0;
    let most = 0;
    const read: string[] = [];
    (t.admin as unknown as { committedOffsets: unknown }).committedOffsets = async (groupId: string, topics: string[]) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (groupId === 's-st0007.g') throw new Error('NOT_COORDINATOR');
      read.push(groupId);
      return topics.map((topic) => ({ topic, partition: 0, offset: '3' }));
    };
    const warn = jest.spyOn((t.watcher as unknown as { log: { warn: (m: string) => void } }).log, 'warn').mockImplementation(() => undefined);
    await t.watcher.round(0);
    expect(most).toBe(OFFSET_READS_AT_ONCE);
    expect(read).toHaveLength(39);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/committed offsets of 1 group\(s\) \(s-st0007\.g\).*NOT_COORDINATOR/);
    // Every member still shows.
    expect(t.published.filter((e) => e.type === 'consumer.started')).toHaveLength(40);
  });

  it(`a round whose coordinators do not answer ends by ${ROUND_DEADLINE_MS} ms, its groups observed without offsets`, async () => {
    jest.useFakeTimers();
    const t = manyGroups();
    let asked = 0;
    (t.admin as unknown as { committedOffsets: unknown }).committedOffsets = () => (asked++, new Promise(() => undefined));
    const warn = jest.spyOn((t.watcher as unknown as { log: { warn: (m: string) => void } }).log, 'warn').mockImplementation(() => undefined);
    let done = false;
    void t.watcher.round(0).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(ROUND_DEADLINE_MS);
    expect(done).toBe(true);
    // 8 at a time, 5 s each, 15 s: three waves of eight, the rest not started.
    expect(asked).toBe(3 * OFFSET_READS_AT_ONCE);
    expect(warn.mock.calls[0][0]).toMatch(/committed offsets of 40 group\(s\)/);
    expect(t.published.filter((e) => e.type === 'consumer.started')).toHaveLength(40);
  });
});

describe('ExternalWatcher: topics made outside the API count against the class quotas', () => {
  /** Metadata listing these topics (`name:partitions`), three replicas each. */
  const md = (...topics: string[]) =>
    ({
      brokers: [],
      topics: topics.map((t) => {
        const [name, n] = t.split(':');
        return { name, errorCode: 0, partitions: Array.from({ length: Number(n) }, (_, partition) => ({ partition, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] })) };
      }),
    }) as unknown as ClusterMetadata;

  it('deletes a student\'s topic made outside the API that passes a quota, with a topic.deleted of actor system naming it; the API\'s own and one within the quota stay', async () => {
    const { watcher, bus, deleted, published } = setup();
    watcher.onModuleInit();
    try {
      await watcher.judgeTopics(md('s-abc123.old:2', 'shared:3'), 0);
      // Through the API: announced, never judged.
      bus.emit('event', { seq: 1, time: '', type: 'topic.created', actor: 'abc123', topic: 's-abc123.api', partitions: 2, replicationFactor: 3 });
      // kafka-topics.sh --create twice: the first fits (2 topics, 4 partitions), the second passes topics = 2.
      await watcher.judgeTopics(md('s-abc123.old:2', 'shared:3', 's-abc123.api:2', 's-abc123.mine:2', 's-def456.big:6'), 1000);
      await watcher.judgeTopics(md('s-abc123.old:2', 'shared:3', 's-abc123.api:2', 's-abc123.mine:2', 's-def456.big:6', 's-abc123.more:1'), 2000);
      expect(deleted).toEqual([]);
      // The instructor's topics are never judged; a student's only once OUTSIDE_AFTER_MS old (an API create announces itself by then).
      await watcher.judgeTopics(md('s-abc123.old:2', 'shared:3', 's-abc123.api:2', 's-abc123.mine:2', 's-def456.big:6', 's-abc123.more:1', 'inst:9'), 1000 + OUTSIDE_AFTER_MS);
      // s-abc123 had old and api (2 topics, the quota): mine passes topics; def456's 6-partition topic passes partitionsPerTopic.
      expect(deleted).toEqual(['s-abc123.mine', 's-def456.big']);
      const evs = published.filter((e) => e.type === 'topic.deleted');
      expect(evs[0]).toMatchObject({ type: 'topic.deleted', actor: 'system', topic: 's-abc123.mine', partitions: 2, replicationFactor: 3, reason: expect.stringMatching(/outside the API.*quota topics = 2/) });
      expect(evs[1]).toMatchObject({ topic: 's-def456.big', reason: expect.stringMatching(/quota partitionsPerTopic = 4/) });
      await watcher.judgeTopics(md('s-abc123.old:2', 'shared:3', 's-abc123.api:2', 's-abc123.more:1', 'inst:9'), 2000 + OUTSIDE_AFTER_MS);
      expect(deleted).toEqual(['s-abc123.mine', 's-def456.big', 's-abc123.more']);
    } finally {
      watcher.onModuleDestroy();
    }
  });

  it('a delete that fails is tried again at the next look; a topic there at the first look is left as it is', async () => {
    const { watcher, deleted, failDeletes } = setup();
    await watcher.judgeTopics(md('s-abc123.a:2', 's-abc123.b:2', 's-abc123.c:2'), 0);
    failDeletes(true);
    jest.spyOn((watcher as unknown as { log: { warn: (m: string) => void } }).log, 'warn').mockImplementation(() => undefined);
    await watcher.judgeTopics(md('s-abc123.a:2', 's-abc123.b:2', 's-abc123.c:2', 's-abc123.d:8'), 1000);
    await watcher.judgeTopics(md('s-abc123.a:2', 's-abc123.b:2', 's-abc123.c:2', 's-abc123.d:8'), 1000 + OUTSIDE_AFTER_MS);
    expect(deleted).toEqual([]);
    failDeletes(false);
    await watcher.judgeTopics(md('s-abc123.a:2', 's-abc123.b:2', 's-abc123.c:2', 's-abc123.d:8'), 3000 + OUTSIDE_AFTER_MS);
    expect(deleted).toEqual(['s-abc123.d']);
  });
});
