import { AssignerProtocol } from 'kafkajs';
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
