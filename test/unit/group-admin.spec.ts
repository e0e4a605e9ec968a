import { AssignerProtocol } from 'kafkajs';
import { GroupAdmin } from '../../src/kafka/group-admin';
import type { KafkaService } from '../../src/kafka/kafka.service';

/** kafkajs's admin answers, as captured from a real broker's shapes, behind a stand-in KafkaService. */
function adminWith(answers: Record<string, unknown>) {
  const admin = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, async () => v]));
  return new GroupAdmin({ admin: async () => admin, resetAdmin: async () => undefined } as unknown as KafkaService);
}

describe('GroupAdmin (kafkajs admin answers in the domain\'s words)', () => {
  it('decodes each member\'s assignment, and shows none where it cannot be read', async () => {
    const assignment = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { t: [2, 0] }, userData: Buffer.alloc(0) });
    const ga = adminWith({
      describeGroups: {
        groups: [
          {
            groupId: 'g', state: 'Stable', protocol: 'roundrobin', protocolType: 'consumer', errorCode: 0,
            members: [
              { memberId: 'm1', clientId: 'kafka-lab-c-1', clientHost: '/127.0.0.1', memberAssignment: assignment, memberMetadata: Buffer.alloc(0) },
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
          { memberId: 'm1', clientId: 'kafka-lab-c-1', assignment: { t: [2, 0] } },
          { memberId: 'm2', clientId: 'rdkafka', assignment: {} },
          { memberId: 'm3', clientId: 'rdkafka', assignment: {} },
        ],
      },
    ]);
  });

  it('committed offsets are null where the group has none (-1); latest is the high watermark', async () => {
    const ga = adminWith({
      fetchOffsets: [{ topic: 't', partitions: [{ partition: 0, offset: '12', metadata: null }, { partition: 1, offset: '-1', metadata: null }] }],
      fetchTopicOffsets: [{ partition: 0, offset: '20', high: '20', low: '0' }],
    });
    expect(await ga.committedOffsets('g', ['t'])).toEqual([{ topic: 't', partition: 0, offset: '12' }, { topic: 't', partition: 1, offset: null }]);
    expect(await ga.latestOffsets('t')).toEqual([{ partition: 0, latest: '20' }]);
  });
});
