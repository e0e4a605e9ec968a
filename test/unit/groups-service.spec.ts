import type { Principal } from '../../src/class/principal';
import type { ClientHost, HostedGroupDescription } from '../../src/client-host/client-host.types';
import { LabError } from '../../src/common/lab-error';
import type { ConsumersService } from '../../src/consumers/consumers.service';
import { GroupsService } from '../../src/consumers/groups.service';
import type { GroupAdmin } from '../../src/kafka/group-admin';
import type { KafkaService } from '../../src/kafka/kafka.service';

const instructor = { id: 'instructor', role: 'instructor' } as Principal;
const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };

/** A student's group reads the student's topic of the same namespace (`s-abc123.six`); others read `six`. */
const studentPrefixOf = (clusterName: string) => /^s-[a-z0-9]{6}\./.exec(clusterName)?.[0] ?? '';

/**
 * GroupsService over stand-ins: kafkajs's admin (classic groups; consumer and share groups are "Dead"
 * to it, as Kafka 4 answers DescribeGroups), the client host's Admin, and our consumers.
 */
function setup(opts: { hosted?: Record<string, HostedGroupDescription>; kafkajsGroups?: Array<{ groupId: string; protocolType: string }>; ours?: Record<string, 'classic' | 'consumer' | 'share'>; version?: string; hostRunning?: boolean; classListenerOff?: boolean }) {
  const asked: string[] = [];
  const admin = {
    connect: async () => undefined,
    listTopics: async () => ['jobs', 'six'],
    listGroups: async () => opts.kafkajsGroups ?? [],
    describeGroups: async (ids: string[]) =>
      ids.map((groupId) =>
        groupId.endsWith('kcat-g')
          ? {
              groupId,
              state: 'Stable',
              protocol: 'range',
              members: [
                { memberId: 'c-m1', clientId: 'klab-c1', clientHost: '/127.0.0.1', assignment: { [`${studentPrefixOf(groupId)}six`]: [0] } },
                { memberId: 'rdkafka-1f', clientId: 'rdkafka', clientHost: '/10.0.0.7', assignment: { [`${studentPrefixOf(groupId)}six`]: [1, 2] } },
                // One of the server's consumers, deleted within its session timeout: Kafka keeps its member a while.
                { memberId: 'klab-c9-77', clientId: 'klab-c9', clientHost: '/127.0.0.1', assignment: {} },
              ],
            }
          : groupId.endsWith('classic-g')
          ? { groupId, state: 'Stable', protocol: 'RoundRobinAssigner', members: [{ memberId: 'c-m1', clientId: 'klab-c1', assignment: { [`${studentPrefixOf(groupId)}six`]: [0, 1, 2] } }] }
          : { groupId, state: 'Dead', protocol: '', members: [] },
      ),
    committedOffsets: async (_g: string, topics: string[]) => topics.flatMap((topic) => [0, 1, 2].map((partition) => ({ topic, partition, offset: '4' }))),
    latestOffsets: async (topic: string) => (topic === 'jobs' ? [{ partition: 0, latest: '12' }] : [0, 1, 2].map((partition) => ({ partition, latest: '10' }))),
  } as unknown as GroupAdmin;
  const host: ClientHost = {
    startMember: async () => {
      throw new Error('not in this test');
    },
    describeGroup: async (id) => {
      asked.push(id);
      return opts.hosted?.[id] ?? null;
    },
    listGroups: async () => Object.values(opts.hosted ?? {}).map((d) => ({ groupId: d.groupId, type: d.type, state: d.state })),
    pid: () => (opts.hostRunning === false ? null : 1),
  };
  const ours = opts.ours ?? {};
  const consumers = {
    clusterGroupIds: () => Object.keys(ours),
    protocolOfGroup: (id: string) => ours[id] ?? null,
    topicsOfGroup: (id: string) => (ours[id] === 'share' ? ['jobs'] : ['six']),
    // Only the sessions the server has now (klab-c9's is gone).
    consumerIdOf: (_m: string, clientId: string) => (['klab-c1', 'klab-w1', 'klab-d1'].includes(clientId) ? clientId.slice(5) : null),
    kafkaVersion: () => opts.version ?? '4.4.0',
  } as unknown as ConsumersService;
  const kafka = { explain: async (e: unknown) => e, bootstrapServers: () => [] } as unknown as KafkaService;
  const config = { classListener: opts.classListenerOff ? null : { publicHost: '127.0.0.1', bindHost: '127.0.0.1', tls: false } };
  return { groups: new GroupsService(kafka, admin, consumers, host, config), asked };
}

const shareGroup: HostedGroupDescription = {
  groupId: 'workers',
  type: 'share',
  state: 'Stable',
  protocol: '',
  groupEpoch: 5,
  targetAssignmentEpoch: 5,
  members: [
    { memberId: 's-m1', clientId: 'klab-w1', memberEpoch: 5, assignment: [{ topic: 'jobs', partitions: [0] }] },
    { memberId: 's-m2', clientId: 'console-share-consumer', memberEpoch: 4, assignment: [{ topic: 'jobs', partitions: [0] }] },
  ],
  shareOffsets: [{ topic: 'jobs', partition: 0, startOffset: '9' }],
};

const consumerGroup: HostedGroupDescription = {
  groupId: 'new-g',
  type: 'consumer',
  state: 'Reconciling',
  protocol: 'uniform',
  groupEpoch: 7,
  targetAssignmentEpoch: 7,
  members: [{ memberId: 'd-m1', clientId: 'klab-d1', memberEpoch: 6, assignment: [{ topic: 'six', partitions: [2, 0, 1] }] }],
};

describe('GroupsService with the client host', () => {
  it('describes a share group from the host: type, epochs, members with their epochs and consumer ids, records in flight', async () => {
    const { groups } = setup({ hosted: { workers: shareGroup }, ours: { workers: 'share' } });
    expect(await groups.describe(instructor, 'workers')).toEqual({
      groupId: 'workers',
      owner: 'instructor',
      type: 'share',
      state: 'Stable',
      protocol: '',
      groupEpoch: 5,
      targetAssignmentEpoch: 5,
      members: [
        { memberId: 's-m1', clientId: 'klab-w1', consumerId: 'w1', memberEpoch: 5, assignment: [{ topic: 'jobs', partitions: [0] }] },
        { memberId: 's-m2', clientId: 'console-share-consumer', consumerId: null, external: true, memberEpoch: 4, assignment: [{ topic: 'jobs', partitions: [0] }] },
      ],
      offsets: [{ topic: 'jobs', partition: 0, startOffset: '9', latest: '12', inFlight: 3 }],
    });
  });

  it('describes a consumer-protocol group kafkajs calls Dead through the host, with committed offsets and lag', async () => {
    const { groups, asked } = setup({ hosted: { 'new-g': consumerGroup } });
    const view = await groups.describe(instructor, 'new-g');
    expect(asked).toEqual(['new-g']);
    expect(view).toMatchObject({ type: 'consumer', state: 'Reconciling', protocol: 'uniform', groupEpoch: 7, targetAssignmentEpoch: 7 });
    expect(view.members).toEqual([{ memberId: 'd-m1', clientId: 'klab-d1', consumerId: 'd1', memberEpoch: 6, assignment: [{ topic: 'six', partitions: [0, 1, 2] }] }]);
    expect(view.offsets).toEqual([0, 1, 2].map((partition) => ({ topic: 'six', partition, committed: '4', latest: '10', lag: 6 })));
  });

  it('a classic group stays kafkajs\'s; a group nobody has is a 404; a 3.9 cluster never asks the host', async () => {
    const { groups, asked } = setup({ ours: { 'classic-g': 'classic' } });
    expect(await groups.describe(instructor, 'classic-g')).toMatchObject({ type: 'classic', state: 'Stable', protocol: 'RoundRobinAssigner' });
    await expect(groups.describe(instructor, 'nobody')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no consumer group nobody.' });
    const old = setup({ version: '3.9.2' });
    await expect(old.groups.describe(instructor, 'nobody')).rejects.toBeInstanceOf(LabError);
    expect(old.asked).toEqual([]);
    expect(asked).toEqual(['nobody']);
  });

  it('a group kafkajs calls Dead is asked of a host not running only when Kafka lists it as a consumer or share group: an unknown one is a 404 with no JVM started', async () => {
    const idle = setup({
      hosted: { 'new-g': consumerGroup, workers: shareGroup },
      hostRunning: false,
      kafkajsGroups: [{ groupId: 'new-g', protocolType: 'consumer' }, { groupId: 'workers', protocolType: 'share' }, { groupId: 'connect-x', protocolType: 'connect' }],
    });
    await expect(idle.groups.describe(instructor, 'typo')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no consumer group typo.' });
    await expect(idle.groups.describe(instructor, 'connect-x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(idle.asked).toEqual([]);
    expect(await idle.groups.describe(instructor, 'new-g')).toMatchObject({ type: 'consumer', groupEpoch: 7 });
    expect(await idle.groups.describe(instructor, 'workers')).toMatchObject({ type: 'share', groupEpoch: 5 });
    expect(idle.asked).toEqual(['new-g', 'workers']);
  });

  it('lists every type: kafkajs\'s groups and the host\'s, with their type and member count', async () => {
    const { groups } = setup({
      hosted: { workers: shareGroup, 'new-g': consumerGroup },
      kafkajsGroups: [{ groupId: 'classic-g', protocolType: 'consumer' }, { groupId: 'new-g', protocolType: 'consumer' }],
    });
    expect(await groups.list(instructor)).toEqual([
      { groupId: 'classic-g', owner: 'instructor', type: 'classic', state: 'Stable', members: 1 },
      { groupId: 'new-g', owner: 'instructor', type: 'consumer', state: 'Reconciling', members: 1 },
      { groupId: 'workers', owner: 'instructor', type: 'share', state: 'Stable', members: 2 },
    ]);
  });

  it('shows a student only the groups of their namespace, by their own names; another student\'s group is the 404 of a missing one', async () => {
    const { groups } = setup({
      kafkajsGroups: ['s-abc123.classic-g', 's-xyz789.classic-g', 'classic-g'].map((groupId) => ({ groupId, protocolType: 'consumer' })),
    });
    expect(await groups.list(ada)).toEqual([{ groupId: 'classic-g', owner: 'abc123', type: 'classic', state: 'Stable', members: 1 }]);
    expect((await groups.list(instructor)).map((g) => [g.groupId, g.owner])).toEqual([
      ['classic-g', 'instructor'],
      ['s-abc123.classic-g', 'abc123'],
      ['s-xyz789.classic-g', 'xyz789'],
    ]);
    const mine = await groups.describe(ada, 'classic-g');
    expect(mine).toMatchObject({ groupId: 'classic-g', owner: 'abc123', type: 'classic' });
    expect(mine.members[0].assignment).toEqual([{ topic: 'six', partitions: [0, 1, 2] }]);
    // The instructor sees the cluster's names.
    expect((await groups.describe(instructor, 's-abc123.classic-g')).members[0].assignment).toEqual([{ topic: 's-abc123.six', partitions: [0, 1, 2] }]);
    // Bob's group by its cluster name, and the instructor's group, are no groups of Ada's.
    await expect(groups.describe(ada, 's-xyz789.classic-g')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no consumer group s-xyz789.classic-g.' });
  });
});

describe('GroupsService: members the server does not run', () => {
  it('shows a kcat -G member in a student\'s group as external, with its client and host; the server\'s own member as its consumer, a lingering one of its own (session gone) not external', async () => {
    const { groups } = setup({});
    const view = await groups.describe(ada, 'kcat-g');
    expect(view.members).toEqual([
      { memberId: 'c-m1', clientId: 'klab-c1', consumerId: 'c1', assignment: [{ topic: 'six', partitions: [0] }] },
      { memberId: 'rdkafka-1f', clientId: 'rdkafka', consumerId: null, external: true, clientHost: '10.0.0.7', assignment: [{ topic: 'six', partitions: [1, 2] }] },
      { memberId: 'klab-c9-77', clientId: 'klab-c9', consumerId: null, assignment: [] },
    ]);
  });

  it('with the class listener off the view is as it was before students had clients of their own: no external, no clientHost', async () => {
    const { groups } = setup({ classListenerOff: true });
    const view = await groups.describe(ada, 'kcat-g');
    expect(view.members.map((m) => Object.keys(m).sort())).toEqual(Array(3).fill(['assignment', 'clientId', 'consumerId', 'memberId']));
  });
});
