// The klab CLI's pure helpers: kcat format tokens, the rebalance line, tables and argument parsing.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const format = require('../../clients/cli/lib/format');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseArgs, keyValues, UsageError } = require('../../clients/cli/lib/args');

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

  it('turns -c pairs into a configs object', () => {
    expect(keyValues(['min.insync.replicas=2', 'cleanup.policy=compact'], 'config')).toEqual({ 'min.insync.replicas': '2', 'cleanup.policy': 'compact' });
    expect(() => keyValues(['oops'], 'config')).toThrow('config "oops" should look like name=value');
  });
});
