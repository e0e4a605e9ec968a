import type { Principal } from '../../src/class/principal';
import type { QuotaService } from '../../src/class/quotas';
import type { ClusterService } from '../../src/cluster/cluster.service';
import type { KafkaService } from '../../src/kafka/kafka.service';
import type { PartitionWatcher } from '../../src/kafka/partition-watcher';
import type { ClusterMetadata, MetadataTopic } from '../../src/kafka/protocol';
import type { TopicAdmin } from '../../src/kafka/topic-admin';
import type { TimelineService } from '../../src/timeline/timeline.service';
import { TopicsService } from '../../src/topics/topics.service';

const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };
const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };

function topic(name: string, partitions = 1): MetadataTopic {
  return {
    name, topicId: `id-${name}`, isInternal: name.startsWith('__'), errorCode: 0,
    partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, errorCode: 0, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0], offlineReplicas: [] })),
  };
}

/**
 * TopicsService over a cluster that has Ada's `orders` and `lab-a`, Bob's `lab-a`, the instructor's
 * shared `orders` and `shared`, and __consumer_offsets; nothing is ever created or deleted (every case
 * here is decided before Kafka would be asked to change anything).
 */
function service(): TopicsService {
  const topics = ['s-abc123.orders', 's-abc123.lab-a', 's-xyz789.lab-a', 'orders', 'shared', '__consumer_offsets'].map((n) => topic(n, n === 'shared' ? 3 : 1));
  const metadata = async (names?: string[]): Promise<ClusterMetadata> => ({
    clusterId: 'c', controllerId: 0, brokers: [{ nodeId: 0, host: '127.0.0.1', port: 9092, rack: null }] as ClusterMetadata['brokers'],
    topics: names ? topics.filter((t) => names.includes(t.name)) : topics,
  });
  const kafka = {
    metadata, bootstrapServers: () => ['127.0.0.1:9092'], offsets: async () => new Map(), topicConfigs: async () => [], partitionElr: async () => [],
  } as unknown as KafkaService;
  const cluster = { view: () => ({ state: 'running' }), runningBrokerIds: () => [0, 1, 2], kafkaVersion: () => '4.4.0' } as unknown as ClusterService;
  const watcher = { setScopeResolver: () => undefined, refresh: async () => metadata() } as unknown as PartitionWatcher;
  const fail = () => {
    throw new Error('nothing may change in these tests');
  };
  const admin = { connect: fail, createTopic: fail, deleteTopic: fail } as unknown as TopicAdmin;
  const timeline = { publish: fail } as unknown as TimelineService;
  const quotas = { topicCreate: () => undefined, oneTopicCreateAtATime: <T>(_who: Principal, run: () => Promise<T>) => run() } as unknown as QuotaService;
  return new TopicsService(kafka, admin, cluster, watcher, timeline, quotas);
}

describe('TopicsService in a class: a student\'s names', () => {
  it('lists a student\'s own topics by their names and the shared ones, nothing of another student\'s', async () => {
    expect(await service().list(ada, false)).toEqual([
      { name: 'lab-a', partitions: 1, replicationFactor: 1, owner: 'abc123' },
      { name: 'orders', partitions: 1, replicationFactor: 1, owner: 'abc123' },
      { name: 'orders', partitions: 1, replicationFactor: 1, owner: 'instructor' },
      { name: 'shared', partitions: 3, replicationFactor: 1, owner: 'instructor' },
    ]);
    expect((await service().list(instructor, false)).map((t) => [t.name, t.owner])).toContainEqual(['s-xyz789.lab-a', 'xyz789']);
  });

  it('describes their own topic before a shared one of the same name, else the shared one', async () => {
    expect(await service().describe(ada, 'orders')).toMatchObject({ name: 'orders', owner: 'abc123', topicId: 'id-s-abc123.orders' });
    expect(await service().describe(ada, 'shared')).toMatchObject({ name: 'shared', owner: 'instructor' });
    expect(await service().describeText(ada, 'lab-a')).toMatch(/^Topic: lab-a\t/);
  });

  it('answers another student\'s topic, even by its cluster name, as one that does not exist', async () => {
    await expect(service().describe(ada, 's-xyz789.lab-a')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Topic s-xyz789.lab-a does not exist.' });
    await expect(service().describe(ada, 'nothing')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Topic nothing does not exist.' });
    await expect(service().delete(ada, 's-xyz789.lab-a')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets a student delete and elect leaders of their own topics only: a shared one is 403', async () => {
    await expect(service().delete(ada, 'shared')).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'Topic shared is shared by the instructor; only the instructor deletes it.' });
    await expect(service().electLeaders(ada, 'shared')).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'Topic shared is shared by the instructor; only the instructor elects its leaders.' });
  });

  it('refuses a student\'s topic by a shared topic\'s name, one of theirs again, and names longer than 240', async () => {
    const create = (who: Principal, name: string) => service().create(who, { name, partitions: 1, replicationFactor: 1 });
    await expect(create(ada, 'shared')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^Topic shared already exists: the instructor shares it with the class/) });
    await expect(create(ada, 'lab-a')).rejects.toMatchObject({ code: 'CONFLICT', message: 'Topic lab-a already exists.' });
    await expect(create(ada, 'x'.repeat(241))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/at most 240 characters/) });
  });

  it('keeps the student shape from the instructor\'s new topics', async () => {
    await expect(service().create(instructor, { name: 's-abc123.lab-b', partitions: 1, replicationFactor: 1 })).rejects.toMatchObject({
      code: 'BAD_INPUT', message: expect.stringMatching(/kept for the students' own topics/),
    });
  });
});
