import { AssignerProtocol, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { GroupAdmin } from '../../src/kafka/group-admin';
import type { KafkaService } from '../../src/kafka/kafka.service';

/** kafkajs's admin answers, as captured from a real broker's shapes, behind a stand-in KafkaService. */
function adminWith(answers: Record<string, unknown>) {
  const admin = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, async () => v]));
  return new GroupAdmin({ admin: async () => admin, resetAdmin: async () => undefined } as unknown as KafkaService);
}

describe('GroupAdmin (kafkajs admin answers in the domain\'s words)', () => {
  it('decodes each member\'s assignment and subscription, and shows none where they cannot be read; keeps where it connects from', async () => {
    const assignment = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { t: [2, 0] }, userData: Buffer.alloc(0) });
    const subscription = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['t', 'u'], userData: Buffer.alloc(0) });
    const ga = adminWith({
      describeGroups: {
        groups: [
          {
            groupId: 'g', state: 'Stable', protocol: 'roundrobin', protocolType: 'consumer', errorCode: 0,
            members: [
              { memberId: 'm1', clientId: 'kafka-lab-c-1', clientHost: '/127.0.0.1', memberAssignment: assignment, memberMetadata: subscription },
              { memberId: 'm2', clientId: 'rdkafka', clientHost: '/127.0.0.1', memberAssignment: Buffer.from([0, 0, 0, 0, 0, 1, 0]), memberMetadata: Buffer.alloc(0) },
              { memberId: 'm3', clientId: 'rdkafka', clientHost: '/127.0.0.1', memberAssignment: Buffer.alloc(0), memberMetadata: Buffer.alloc(0) },
            ],
          },
        ],
      },
    });
    expect(await ga.describeGroups(['g'])).toEqual([
      {
        groupId: 'g', state: 'Stable', protocol: 'roundrobin',
        members: [
          { memberId: 'm1', clientId: 'kafka-lab-c-1', clientHost: '/127.0.0.1', topics: ['t', 'u'], assignment: { t: [2, 0] } },
          { memberId: 'm2', clientId: 'rdkafka', clientHost: '/127.0.0.1', topics: [], assignment: {} },
          { memberId: 'm3', clientId: 'rdkafka', clientHost: '/127.0.0.1', topics: [], assignment: {} },
        ],
      },
    ]);
  });

  it('committed offsets are null where the group has none (-1)', async () => {
    const ga = adminWith({
      fetchOffsets: [{ topic: 't', partitions: [{ partition: 0, offset: '12', metadata: null }, { partition: 1, offset: '-1', metadata: null }] }],
    });
    expect(await ga.committedOffsets('g', ['t'])).toEqual([{ topic: 't', partition: 0, offset: '12' }, { topic: 't', partition: 1, offset: null }]);
  });

  it('latest offsets are asked of the leaders named by metadata read for each call, null where a partition has none', async () => {
    // The leader of partition 0 moves from broker 1 to broker 2 between the two calls.
    const leaders = [1, 2];
    const asked: number[] = [];
    const kafka = {
      metadata: async (topics: string[]) => ({ topics: topics.map((name) => ({ name, partitions: [{ partition: 0, leader: leaders.shift() }, { partition: 1, leader: null }] })) }),
      offsets: async (md: { topics: Array<{ partitions: Array<{ partition: number; leader: number | null }> }> }, topic: string) => {
        asked.push(md.topics[0].partitions[0].leader!);
        return new Map([[`${topic}:0`, { earliest: '0', latest: '20' }], [`${topic}:1`, { earliest: null, latest: null }]]);
      },
    };
    const ga = new GroupAdmin(kafka as unknown as KafkaService);
    expect(await ga.latestOffsets('a:b')).toEqual([{ partition: 0, latest: '20' }, { partition: 1, latest: null }]);
    await ga.latestOffsets('a:b');
    expect(asked).toEqual([1, 2]);
  });
});

describe('GroupAdmin.apart (the external watcher\'s admin): a topic deleted outside the API', () => {
  /**
   * kafkajs's admin as it behaves: fetchOffsets adds each topic to the admin's metadata targets, and a
   * target deleted since fails every later call with UNKNOWN_TOPIC_OR_PARTITION (inside its retry wrapper).
   */
  function stand() {
    const existing = new Set(['s-abc123.kept', 's-abc123.gone']);
    const made: Array<{ targets: Set<string>; asked: string[][] }> = [];
    const unknown = new KafkaJSProtocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });
    const newAdmin = () => {
      const a = { targets: new Set<string>(), asked: [] as string[][] };
      made.push(a);
      const refresh = () => {
        if ([...a.targets].some((t) => !existing.has(t))) throw new KafkaJSNumberOfRetriesExceeded(unknown, { retryCount: 3, retryTime: 1000 });
      };
      return {
        fetchOffsets: async ({ topics }: { groupId: string; topics: string[] }) => {
          topics.forEach((t) => a.targets.add(t));
          refresh();
          a.asked.push(topics);
          return topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: '5', metadata: null }] }));
        },
        listGroups: async () => (refresh(), { groups: [{ groupId: 's-abc123.g', protocolType: 'consumer' }] }),
        describeGroups: async (ids: string[]) => (refresh(), { groups: ids.map((groupId) => ({ groupId, state: 'Empty', protocol: '', members: [] })) }),
      };
    };
    let shared: ReturnType<typeof newAdmin> | null = null;
    let watch: ReturnType<typeof newAdmin> | null = null;
    const resets: string[] = [];
    const kafka = {
      admin: async () => (shared ??= newAdmin()),
      watchAdmin: async () => (watch ??= newAdmin()),
      resetOneAdmin: async (kind: 'shared' | 'watch') => {
        resets.push(kind);
        if (kind === 'watch') watch = null;
        else shared = null;
      },
      metadata: async () => ({ topics: [...existing].map((name) => ({ name, errorCode: 0, partitions: [] })), brokers: [] }),
    } as unknown as KafkaService;
    return { ga: new GroupAdmin(kafka), existing, made, resets };
  }

  it('makes its admin new and asks once more for the topics still there; the shared admin is untouched', async () => {
    const { ga, existing, made, resets } = stand();
    const watcher = ga.apart();
    expect(await watcher.committedOffsets('s-abc123.g', ['s-abc123.gone', 's-abc123.kept'])).toHaveLength(2);
    existing.delete('s-abc123.gone'); // kafka-topics.sh --delete
    // Another group, another topic: kafkajs would fail it for the deleted one it still targets.
    expect(await watcher.committedOffsets('s-abc123.h', ['s-abc123.kept'])).toEqual([{ topic: 's-abc123.kept', partition: 0, offset: '5' }]);
    // The member still subscribes to the deleted topic: only the one there is asked for.
    expect(await watcher.committedOffsets('s-abc123.g', ['s-abc123.gone', 's-abc123.kept'])).toEqual([{ topic: 's-abc123.kept', partition: 0, offset: '5' }]);
    expect(resets).toEqual(['watch', 'watch']);
    expect(made).toHaveLength(3);
    // Every call of a poisoned admin fails, not only offset reads: listing and describing get over it too.
    existing.add('s-abc123.later');
    await watcher.committedOffsets('s-abc123.g', ['s-abc123.later']);
    existing.delete('s-abc123.later');
    expect(await watcher.listGroups()).toEqual([{ groupId: 's-abc123.g', protocolType: 'consumer' }]);
    existing.add('s-abc123.later2');
    await watcher.committedOffsets('s-abc123.g', ['s-abc123.later2']);
    existing.delete('s-abc123.later2');
    expect(await watcher.describeGroups(['s-abc123.g'])).toEqual([{ groupId: 's-abc123.g', state: 'Empty', protocol: '', members: [] }]);
    expect(resets).toHaveLength(4);
    const sharedAdmins = made.length;
    // The API's own group views still use the shared admin, which the watcher never touched.
    expect(await ga.committedOffsets('s-abc123.g', ['s-abc123.kept'])).toHaveLength(1);
    expect(made).toHaveLength(sharedAdmins + 1);
    expect(made[sharedAdmins].targets).toEqual(new Set(['s-abc123.kept']));
  });

  it('heals the shared admin the same way, so group views go on after a topic is deleted outside the API', async () => {
    const { ga, existing, resets } = stand();
    await ga.committedOffsets('s-abc123.g', ['s-abc123.gone', 's-abc123.kept']);
    existing.delete('s-abc123.gone');
    expect(await ga.committedOffsets('s-abc123.h', ['s-abc123.kept'])).toEqual([{ topic: 's-abc123.kept', partition: 0, offset: '5' }]);
    expect(await ga.describeGroups(['s-abc123.g'])).toEqual([{ groupId: 's-abc123.g', state: 'Empty', protocol: '', members: [] }]);
    expect(resets).toEqual(['shared']);
  });

  it('answers [] when none of the topics is left', async () => {
    const { ga, existing } = stand();
    const watcher = ga.apart();
    await watcher.committedOffsets('g', ['s-abc123.gone']);
    existing.delete('s-abc123.gone');
    expect(await watcher.committedOffsets('g', ['s-abc123.gone'])).toEqual([]);
  });
});
