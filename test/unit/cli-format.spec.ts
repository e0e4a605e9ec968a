// The klab CLI's pure helpers: kcat format tokens, the rebalance line, tables and argument parsing.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const format = require('../../clients/cli/lib/format');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseArgs, keyValues, consumeMode, UsageError } = require('../../clients/cli/lib/args');

const message = {
  seq: 7,
  consumerId: 'c1',
  topic: 'failsafe-test-topic',
  partition: 2,
  offset: '41',
  key: 'user-1',
  value: 'héllo',
  headers: { trace: 'abc', kind: 'test' },
  timestamp: '2024-05-01T10:00:00.000Z',
};

describe('kcat -f format tokens', () => {
  it('expands every token and the shell-typed escapes \\n and \\t', () => {
    const f = format.compileFormat('%t\\t%p\\t%o\\t%k\\t%s\\t%T\\t%h\\n');
    expect(f(message)).toBe(`failsafe-test-topic\t2\t41\tuser-1\théllo\t${Date.parse(message.timestamp)}\ttrace=abc,kind=test\n`);
  });

  it("prints the e2e test's '%p %s\\n' as partition, space, value, newline", () => {
    expect(format.formatMessage('%p %s\\n', message)).toBe('2 héllo\n');
  });

  it('prints sizes in bytes, %% as a percent sign, and empty text for a null key', () => {
    expect(format.formatMessage('%K %S 100%%', message)).toBe('6 6 100%');
    expect(format.formatMessage('[%k]%K', { ...message, key: null })).toBe('[]-1');
  });

  it('takes %T as milliseconds whether the server sends ms or ISO-8601, -1 when absent', () => {
    expect(format.timestampMs('1714557600000')).toBe(1714557600000);
    expect(format.timestampMs(1714557600000)).toBe(1714557600000);
    expect(format.timestampMs('2024-05-01T10:00:00.000Z')).toBe(1714557600000);
    expect(format.timestampMs(null)).toBe(-1);
  });

  it('refuses an unknown token with a sentence, before anything is consumed', () => {
    expect(() => format.compileFormat('%x')).toThrow('unsupported format token %x');
  });
});

describe('rebalance line', () => {
  const ev = { groupId: 'test-group', memberId: 'klab-c1-5f2', assigned: [{ topic: 'failsafe-test-topic', partitions: [2] }], revoked: [] };

  it('has the exact shape of LABS.md', () => {
    expect(format.rebalanceLine(ev)).toBe('% Group test-group rebalanced (memberid klab-c1-5f2): assigned: failsafe-test-topic [2]');
  });

  it('lists partitions in order, then the revoked ones', () => {
    const line = format.rebalanceLine({
      ...ev,
      assigned: [{ topic: 't', partitions: [3, 1] }],
      revoked: [{ topic: 't', partitions: [0] }, { topic: 'u', partitions: [] }],
    });
    expect(line).toBe('% Group test-group rebalanced (memberid klab-c1-5f2): assigned: t [1], t [3], revoked: t [0]');
  });

  it('says so when nothing changed for the member', () => {
    expect(format.rebalanceLine({ ...ev, assigned: [] })).toMatch(/: assigned: nothing new, revoked: nothing$/);
  });
});

describe('tables', () => {
  it('pads columns to the widest cell and does not pad the last one', () => {
    expect(format.renderTable(['ID', 'STATE'], [[0, 'running'], [100, 'stopped']])).toBe('ID   STATE\n0    running\n100  stopped');
  });

  it('renders the cluster with controllers first and one row per node', () => {
    const since = '2024-05-01T10:00:00.000Z';
    const text = format.renderCluster({
      state: 'degraded', driver: 'process', kafkaVersion: '3.9.2', clusterId: 'abc', bootstrapServers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      controllers: [{ id: 100, role: 'controller', state: 'running', host: '127.0.0.1', port: 9192, since }],
      brokers: [
        { id: 0, role: 'broker', state: 'running', host: '127.0.0.1', port: 9092, since },
        { id: 1, role: 'broker', state: 'killed', host: '127.0.0.1', port: 9093, since },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Cluster degraded (driver process, Kafka 3.9.2, cluster id abc)');
    expect(lines[1]).toBe('Bootstrap servers: 127.0.0.1:9092,127.0.0.1:9093');
    expect(lines[3]).toMatch(/^ID\s+ROLE\s+STATE\s+ADDRESS\s+SINCE$/);
    expect(lines.slice(4).map((l: string) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['100 controller running', '0 broker running', '1 broker killed']);
  });

  it('renders a description like kafka-topics --describe, with "none" for a missing leader', () => {
    const text = format.renderDescription({
      name: 't', replicationFactor: 3, configs: { 'min.insync.replicas': '2' },
      partitions: [
        { partition: 0, leader: 1, replicas: [1, 2, 0], isr: [1, 2, 0], offlineReplicas: [] },
        { partition: 1, leader: null, replicas: [2], isr: [], offlineReplicas: [2] },
      ],
    });
    expect(text).toBe(
      'Topic: t\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: min.insync.replicas=2\n' +
        '\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,0\tIsr: 1,2,0\n' +
        '\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2\tIsr: -\tOffline: 2',
    );
  });

  it('summarises produce results per partition', () => {
    const results = [{ partition: 1, offset: '5' }, { partition: 0, offset: '2' }, { partition: 1, offset: '6' }];
    expect(format.produceSummary('t', results)).toBe('% 3 message(s) produced to t: [0] offset 2, [1] offsets 5..6');
  });

  it('describes timeline events as sentences', () => {
    expect(format.describeEvent({ type: 'partition.leader-changed', topic: 't', partition: 2, from: 1, to: null })).toBe('t [2]: leader 1 -> NONE (no leader)');
    expect(format.describeEvent({ type: 'partition.isr-changed', topic: 't', partition: 0, isr: [0, 2], previous: [0, 1, 2] })).toBe('t [0]: ISR 0,1,2 -> 0,2 (shrunk)');
    expect(format.describeEvent({ type: 'node.killed', nodeId: 1, role: 'broker' })).toBe('broker 1 killed');
    expect(format.eventLine({ seq: 3, time: '2024-05-01T10:00:00.000Z', type: 'topic.deleted', topic: 't', actor: 'instructor' })).toMatch(/^\d\d:\d\d:\d\d\.\d{3}  #3  topic\.deleted\s+topic t deleted  \(by instructor\)$/);
  });
});

describe('argument parsing', () => {
  it('reads kafka-topics style options in every spelling', () => {
    expect(parseArgs(['topic', 'create', 'orders', '-p', '3', '-r3', '-c', 'a=1', '--config=b=2', '--json'])).toEqual({
      words: ['topic', 'create', 'orders'],
      opts: { p: 3, replicationFactor: 3, config: ['a=1', 'b=2'], json: true },
    });
  });

  it('reads consume options; -- ends the options so a value may start with a dash', () => {
    expect(parseArgs(['consume', 't', '-G', 'test-group', '-b', '-f', '%p %s\\n', '--kill-on-exit'])).toEqual({
      words: ['consume', 't'],
      opts: { group: 'test-group', fromBeginning: true, format: '%p %s\\n', killOnExit: true },
    });
    expect(parseArgs(['produce', 't', '--', '-x', 'y']).words).toEqual(['produce', 't', '-x', 'y']);
  });

  it('refuses unknown options and bad numbers with a sentence', () => {
    expect(() => parseArgs(['topics', '--frobnicate'])).toThrow(new UsageError('unknown option --frobnicate'));
    expect(() => parseArgs(['topic', 'create', 'x', '-p', 'three'])).toThrow('option -p needs a whole number, not "three"');
    expect(() => parseArgs(['consume', 't', '-G'])).toThrow('option -G needs a value');
  });

  it('reads --protocol and --ack, and refuses what the server would refuse before a consumer exists', () => {
    const { opts } = parseArgs(['consume', 'jobs', '-G', 'workers', '--protocol', 'share', '--ack=manual']);
    expect(consumeMode(opts)).toEqual({ protocol: 'share', ack: 'manual' });
    // Nothing given: nothing sent, so the body is the one of a classic consumer as before.
    expect(consumeMode(parseArgs(['consume', 't']).opts)).toEqual({});
    expect(consumeMode(parseArgs(['consume', 't', '--protocol', 'consumer']).opts)).toEqual({ protocol: 'consumer' });
    expect(() => consumeMode({ protocol: 'queue' })).toThrow('--protocol takes classic, consumer or share, not "queue"');
    expect(() => consumeMode({ protocol: 'share', ack: 'later' })).toThrow('--ack takes auto or manual, not "later"');
    expect(() => consumeMode({ protocol: 'consumer', ack: 'manual' })).toThrow(/--ack is for share consumers/);
    expect(() => consumeMode({ ack: 'manual' })).toThrow(UsageError);
  });

  it('turns -c pairs into a configs object', () => {
    expect(keyValues(['min.insync.replicas=2', 'cleanup.policy=compact'], 'config')).toEqual({ 'min.insync.replicas': '2', 'cleanup.policy': 'compact' });
    expect(() => keyValues(['oops'], 'config')).toThrow('config "oops" should look like name=value');
  });
});

describe('new group protocols in the output (KIP-848, KIP-932)', () => {
  const share = { ...message, partition: 0, offset: '5', value: 'job5', deliveryCount: 1 };

  it('%d is the delivery count of a share record, -1 for a record of a classic or consumer group', () => {
    expect(format.formatMessage('%p:%o %d %s', { ...share, deliveryCount: 3 })).toBe('0:5 3 job5');
    expect(format.formatMessage('[%d]', message)).toBe('[-1]');
  });

  it("a share record's default line names partition:offset, and the delivery count only once it came back", () => {
    expect(format.shareLine(share)).toBe('0:5\tjob5\n');
    expect(format.shareLine({ ...share, deliveryCount: 2 })).toBe('0:5\tjob5\t(delivery 2)\n');
    expect(format.shareLine({ ...share, value: null, deliveryCount: undefined })).toBe('0:5\t\n');
  });

  it('a consumer-protocol rebalance line carries the member epoch and only what moved', () => {
    const ev = { groupId: 'new-g', memberId: 'Xq2', memberEpoch: 7, protocol: 'consumer', assigned: [{ topic: 't', partitions: [2] }], revoked: [], owned: [{ topic: 't', partitions: [0, 2] }] };
    expect(format.rebalanceLine(ev)).toBe('% Group new-g rebalanced (memberid Xq2, epoch 7): assigned: t [2]');
    expect(format.rebalanceLine({ ...ev, memberEpoch: 8, assigned: [], revoked: [{ topic: 't', partitions: [0] }] })).toBe('% Group new-g rebalanced (memberid Xq2, epoch 8): revoked: t [0]');
    // A classic member has no epoch: the line stays the one of LABS.md.
    expect(format.rebalanceLine({ ...ev, memberEpoch: undefined, protocol: 'classic' })).toBe('% Group new-g rebalanced (memberid Xq2): assigned: t [2]');
  });

  it('says what happened to a share record, like the other % lines', () => {
    expect(format.shareNotice({ type: 'share.redelivered', consumerId: 'c2', groupId: 'workers', topic: 'jobs', partition: 0, offset: '5', deliveryCount: 2, why: 'released' }))
      .toBe('% jobs [0] @5 redelivered (delivery 2): released');
    expect(format.shareNotice({ type: 'share.redelivered', topic: 'jobs', partition: 0, offset: '6', deliveryCount: 2 })).toBe('% jobs [0] @6 redelivered (delivery 2)');
    expect(format.shareNotice({ type: 'share.archived', groupId: 'workers', topic: 'jobs', partition: 0, offset: '7', why: 'released at the delivery limit (3)' }))
      .toBe('% jobs [0] @7 archived: released at the delivery limit (3)');
    // The acknowledgement type under any of the names a server may give it, never the event type.
    expect(format.shareNotice({ type: 'share.acknowledged', topic: 'jobs', partition: 0, offsets: ['3', '4', '5', '8'], ackType: 'reject' })).toBe('% jobs [0] @3..5,8 rejected');
    expect(format.shareNotice({ type: 'share.acknowledged', topic: 'jobs', partition: 0, offsets: ['3'], acknowledgement: 'accept' })).toBe('% jobs [0] @3 accepted');
  });

  it('prints each acknowledge result, a refusal as an ERROR line with the server sentence', () => {
    expect(format.ackResultLine({ topic: 'jobs', partition: 0, offsets: ['5', '6'], type: 'release' })).toBe('% jobs [0] @5..6 released');
    expect(format.ackResultLine({ topic: 'jobs', partition: 0, offsets: ['9'], type: 'accept', error: 'the record lock ran out' }))
      .toBe('% ERROR: accept of jobs [0] @9 refused: the record lock ran out');
  });

  it('lists consumers with their protocol and member epoch', () => {
    const text = format.renderConsumers([
      { id: 'c1', groupId: 'g', protocol: 'classic', topics: ['t'], state: 'running', received: 4, assignment: [{ topic: 't', partitions: [0] }] },
      { id: 'c2', groupId: 'new-g', protocol: 'consumer', memberEpoch: 12, topics: ['t'], state: 'running', received: 0, assignment: [] },
      { id: 'c3', groupId: 'workers', protocol: 'share', ack: 'manual', memberEpoch: 3, topics: ['jobs'], state: 'joining', received: 0, assignment: [] },
    ]);
    const rows = text.split('\n').map((l: string) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['ID', 'NAME', 'GROUP', 'PROTOCOL', 'TOPICS', 'STATE', 'EPOCH', 'RECEIVED', 'ASSIGNMENT']);
    expect(rows.slice(1).map((r: string[]) => [r[3], r[6]])).toEqual([['classic', '-'], ['consumer', '12'], ['share/manual', '3']]);
  });

  it('lists groups with their type (classic, consumer, share)', () => {
    expect(format.renderGroups([{ groupId: 'classic-g', type: 'classic', state: 'Stable', members: 3 }, { groupId: 'workers', type: 'share', state: 'Empty', members: 0 }, { groupId: 'old', state: 'Dead', members: [] }]))
      .toBe('GROUP      TYPE     STATE   MEMBERS\nclassic-g  classic  Stable  3\nworkers    share    Empty   0\nold        classic  Dead    0');
  });

  it('describes a share group with its epochs and the records in flight instead of lag', () => {
    const text = format.renderGroup({
      groupId: 'workers', type: 'share', state: 'Stable', groupEpoch: 4, targetAssignmentEpoch: 4,
      members: [{ memberId: 'm1', consumerId: 'c1', clientId: 'klab-c1', memberEpoch: 4, assignment: [{ topic: 'jobs', partitions: [0] }] }],
      offsets: [{ topic: 'jobs', partition: 0, startOffset: '3', latest: '12', inFlight: 9 }],
    });
    const [head, , members, m1, , offsets, o1] = text.split('\n');
    expect(head).toBe('Group workers: Stable (share group, group epoch 4, target assignment epoch 4)');
    expect(members.split(/\s+/)).toEqual(['MEMBER', 'CONSUMER', 'CLIENT', 'EPOCH', 'ASSIGNMENT']);
    expect(m1.split(/\s+/)).toEqual(['m1', 'c1', 'klab-c1', '4', 'jobs', '[0]']);
    expect(offsets.split(/\s+/)).toEqual(['TOPIC', 'PARTITION', 'START', 'LATEST', 'IN-FLIGHT']);
    expect(o1.split(/\s+/)).toEqual(['jobs', '0', '3', '12', '9']);
  });

  it('keeps the classic group description as it was (no epoch column, committed offsets and lag)', () => {
    const text = format.renderGroup({
      groupId: 'g', state: 'Stable', protocol: 'range',
      members: [{ memberId: 'm1', consumerId: 'c1', clientId: 'x', assignment: [] }],
      offsets: [{ topic: 't', partition: 0, committed: '4', latest: '6', lag: 2 }],
    });
    expect(text.split('\n')[0]).toBe('Group g: Stable (range)');
    expect(text).not.toContain('EPOCH');
    expect(text).toMatch(/^t\s+0\s+4\s+6\s+2$/m);
  });

  it('timeline lines: the rebalance epoch instead of the generation, share events with their consumer', () => {
    expect(format.describeEvent({ type: 'group.rebalanced', groupId: 'new-g', consumerId: 'c2', memberId: 'm', generation: 5, memberEpoch: 5, assigned: [{ topic: 't', partitions: [1] }], revoked: [] }))
      .toBe('Group new-g rebalanced (memberid m, epoch 5): assigned: t [1] [consumer c2]');
    expect(format.describeEvent({ type: 'group.rebalanced', groupId: 'g', consumerId: 'c1', memberId: 'm', generation: 2, assigned: [], revoked: [{ topic: 't', partitions: [0] }] }))
      .toBe('Group g rebalanced (memberid m): revoked: t [0] [consumer c1, generation 2]');
    expect(format.describeEvent({ type: 'share.redelivered', consumerId: 'c3', groupId: 'workers', topic: 'jobs', partition: 0, offset: '2', deliveryCount: 2, why: 'lock expired' }))
      .toBe('jobs [0] @2 redelivered (delivery 2): lock expired [consumer c3, group workers]');
    expect(format.describeEvent({ type: 'share.archived', groupId: 'workers', topic: 'jobs', partition: 0, offset: '2', why: 'rejected' })).toBe('jobs [0] @2 archived: rejected [group workers]');
  });

  it('timeline lines of a member the server does not run say what client it is and where it runs', () => {
    expect(format.describeEvent({ type: 'consumer.started', consumerId: 'x-1a2b3c4d', groupId: 'workers', external: true, clientId: 'rdkafka', clientHost: '10.0.0.7' }))
      .toBe('consumer x-1a2b3c4d started (group workers) — kcat (rdkafka) on host 10.0.0.7');
    expect(format.describeEvent({ type: 'group.rebalanced', groupId: 'workers', consumerId: 'x-1a2b3c4d', memberId: 'rdkafka-1', generation: null, assigned: [{ topic: 't', partitions: [0] }], revoked: [], external: true }))
      .toBe('Group workers rebalanced (memberid rdkafka-1): assigned: t [0] [consumer x-1a2b3c4d] — external member');
    expect(format.describeEvent({ type: 'messages.consumed', consumerId: 'x-1a2b3c4d', groupId: 'workers', topic: 't', count: 3, offsets: { 0: [['0', '2']] }, external: true }))
      .toBe('consumer x-1a2b3c4d received 3 of t [0: 0–2] (group workers) — external member');
    expect(format.describeEvent({ type: 'messages.produced', topic: 't', count: 2, partitions: { 0: 2 }, external: true }))
      .toBe('2 message(s) to t ([0] 2) — by a client the server does not run');
    const group = format.renderGroup({ groupId: 'workers', state: 'Stable', protocol: 'range', members: [{ memberId: 'rdkafka-1', consumerId: null, external: true, clientId: 'rdkafka', clientHost: '10.0.0.7', assignment: [{ topic: 't', partitions: [0] }] }], offsets: [] });
    expect(group).toMatch(/^rdkafka-1\s+external\s+rdkafka@10\.0\.0\.7\s+t \[0\]$/m);
  });
});
