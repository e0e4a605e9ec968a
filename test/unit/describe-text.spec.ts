import { orderConfigsLikeKafka, renderDescribeText, DescribeTextTopic } from '../../src/topics/describe-text';
import { decodeMetadataResponse, MetadataTopic } from '../../src/kafka/protocol/metadata';
import { Reader } from '../../src/kafka/protocol/wire';
import {
  ADMIN_CONFIG_ENTRY_ORDER,
  DESCRIBE_CFG_MANY_HEALTHY,
  DESCRIBE_RF1_BROKER0_DEAD,
  DESCRIBE_RF1_HEALTHY,
  DESCRIBE_RF2_BROKER0_DEAD,
  DESCRIBE_RF2_HEALTHY,
  METADATA_V12_BROKER0_DEAD_HEX,
} from './fixtures/kafka-3.9.2-captures';
import {
  ADMIN_CONFIG_ENTRY_ORDER_44, DESCRIBE_ALL_CONFIGS_44, DESCRIBE_CFG_MANY_HEALTHY_44, DESCRIBE_ELR_44, DESCRIBE_ELR_LEADERLESS_44, DESCRIBE_RF2_HEALTHY_44,
  DESCRIBE_TOPIC_PARTITIONS_V0_ELR_HEX, DESCRIBE_TOPIC_PARTITIONS_V0_LEADERLESS_HEX, DESCRIBE_CFG_44, DESCRIBE_CONFIGS_V4_CFG_HEX,
} from './fixtures/kafka-4.4.0-captures';
import { decodeDescribeConfigsResponse, encodeDescribeConfigsRequest } from '../../src/kafka/protocol/describe-configs';
import { decodeDescribeTopicPartitionsResponse, encodeDescribeTopicPartitionsRequest } from '../../src/kafka/protocol/describe-topic-partitions';

const V39 = '3.9.2';
const V44 = '4.4.0';

// server.properties of the dev cluster set these broker-wide; the tool counts them as non-default.
const STATIC = { 'min.insync.replicas': '1', 'segment.bytes': '16777216', 'unclean.leader.election.enable': 'false' };
// Given in alphabetical order on purpose: the tool's order is not the caller's.
const RF2_CONFIGS = { 'min.insync.replicas': '2', 'retention.ms': '3600000', 'segment.bytes': '16777216', 'unclean.leader.election.enable': 'false' };

const fromMetadata = (t: MetadataTopic, configs: Record<string, string>): DescribeTextTopic => ({
  name: t.name,
  topicId: t.topicId,
  replicationFactor: t.partitions[0].replicas.length,
  configs,
  partitions: t.partitions,
});

describe('renderDescribeText equals kafka-topics.sh --describe of Kafka 3.9.2', () => {
  const dead = decodeMetadataResponse(new Reader(Buffer.from(METADATA_V12_BROKER0_DEAD_HEX, 'hex')));

  it('RF 1 topic whose broker is dead: "Leader: none", from the real Metadata response', () => {
    expect(renderDescribeText(fromMetadata(dead.topics[0], STATIC), V39)).toBe(DESCRIBE_RF1_BROKER0_DEAD);
  });

  it('RF 2 topic with a replica down: shrunk ISR, topic configs in the tool\'s order', () => {
    expect(renderDescribeText(fromMetadata(dead.topics[1], RF2_CONFIGS), V39)).toBe(DESCRIBE_RF2_BROKER0_DEAD);
  });

  it('healthy topics, from the API description shape (partitions in any order, offsets ignored)', () => {
    const rf1: DescribeTextTopic = {
      name: 'rf1',
      topicId: 'ZIadyo24Q6yAfffi49GwRA',
      replicationFactor: 1,
      configs: STATIC,
      partitions: [3, 2, 1, 0].map((p) => ({
        partition: p, leader: p === 1 || p === 2 ? 0 : 1, replicas: [p === 1 || p === 2 ? 0 : 1], isr: [p === 1 || p === 2 ? 0 : 1],
        offlineReplicas: [], earliestOffset: '0', latestOffset: '7',
      })),
    };
    expect(renderDescribeText(rf1, V39)).toBe(DESCRIBE_RF1_HEALTHY);
    const rf2: DescribeTextTopic = {
      name: 'rf2',
      topicId: 'QBqRni-IT4iTkr2OTuTeiQ',
      replicationFactor: 2,
      configs: Object.entries(RF2_CONFIGS).reverse(),
      partitions: [
        { partition: 0, leader: 1, replicas: [1, 0], isr: [1, 0] },
        { partition: 1, leader: 0, replicas: [0, 1], isr: [0, 1] },
        { partition: 2, leader: 1, replicas: [1, 0], isr: [1, 0] },
      ],
    };
    expect(renderDescribeText(rf2, V39)).toBe(DESCRIBE_RF2_HEALTHY);
  });

  it('eight topic configs plus the static ones, given alphabetically, come out in the tool\'s order', () => {
    const configs = {
      'cleanup.policy': 'compact', 'compression.type': 'lz4', 'delete.retention.ms': '1000', 'file.delete.delay.ms': '1000',
      'max.compaction.lag.ms': '99999999', 'max.message.bytes': '200000', 'message.timestamp.type': 'LogAppendTime',
      'min.insync.replicas': '1', 'retention.bytes': '100000', 'segment.bytes': '16777216', 'unclean.leader.election.enable': 'false',
    };
    const topic: DescribeTextTopic = {
      name: 'cfg.many_1', topicId: 'LKJkAwtIRvWnbyspdRTLow', replicationFactor: 2, configs,
      partitions: [{ partition: 0, leader: 1, replicas: [1, 0], isr: [1, 0] }, { partition: 1, leader: 0, replicas: [0, 1], isr: [0, 1] }],
    };
    expect(renderDescribeText(topic, V39)).toBe(DESCRIBE_CFG_MANY_HEALTHY);
  });

  it('orders all 36 config names of a 3.9 topic exactly as the admin client iterates them', () => {
    const shuffled = [...ADMIN_CONFIG_ENTRY_ORDER].sort().map((n) => [n, 'x'] as [string, string]);
    expect(orderConfigsLikeKafka(shuffled, V39).map(([n]) => n)).toEqual(ADMIN_CONFIG_ENTRY_ORDER);
  });

  it('no configs, no topic id, a reassignment and ELR lists, like the tool prints them', () => {
    const text = renderDescribeText({
      name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', replicationFactor: 2, configs: {},
      partitions: [{ partition: 0, leader: null, replicas: [2, 0, 1], isr: [], addingReplicas: [2], removingReplicas: [1], elr: [0], lastKnownElr: null }],
    }, V39);
    expect(text).toBe(
      'Topic: t\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: \n' +
      '\tTopic: t\tPartition: 0\tLeader: none\tReplicas: 2,0,1\tIsr: \tAdding Replicas: 2\tRemoving Replicas: 1\tElr: 0\tLastKnownElr: N/A\n',
    );
  });
});

describe('renderDescribeText equals kafka-topics.sh --describe of Kafka 4.4.0 on a 4.4 cluster', () => {
  // The captured header's configs, given back alphabetically: the text must put them in 4.4's order.
  const configsOf = (text: string) =>
    Object.fromEntries(text.split('\n')[0].split('Configs: ')[1].split(',').map((kv) => kv.split('=') as [string, string]).sort());
  const partitionsOf = (text: string) =>
    text.trim().split('\n').slice(1).map((l) => {
      const f = Object.fromEntries(l.trim().split('\t').map((x) => x.split(': ') as [string, string]));
      const list = (v: string) => (v ? v.split(',').map(Number) : []);
      return { partition: Number(f.Partition), leader: f.Leader === 'none' ? null : Number(f.Leader), replicas: list(f.Replicas), isr: list(f.Isr) };
    });
  const topicOf = (text: string): DescribeTextTopic => {
    const head = Object.fromEntries(text.split('\n')[0].split('\t').map((x) => x.split(': ') as [string, string]));
    return { name: head.Topic, topicId: head.TopicId, replicationFactor: Number(head.ReplicationFactor), configs: configsOf(text), partitions: partitionsOf(text) };
  };

  it.each([
    ['eight topic configs plus the static ones', DESCRIBE_CFG_MANY_HEALTHY_44],
    ['RF 2 with min.insync.replicas=2 and retention.ms', DESCRIBE_RF2_HEALTHY_44],
    ['every config of a 4.4 topic', DESCRIBE_ALL_CONFIGS_44],
  ])('%s, in the tool\'s order', (_what, captured) => {
    expect(renderDescribeText(topicOf(captured), V44)).toBe(captured);
  });

  it('orders a 4.4 topic\'s configs as the 4.4 admin client iterates them, which 3.9\'s order does not', () => {
    const shuffled = [...ADMIN_CONFIG_ENTRY_ORDER_44].sort().map((n) => [n, 'x'] as [string, string]);
    expect(orderConfigsLikeKafka(shuffled, V44).map(([n]) => n)).toEqual(ADMIN_CONFIG_ENTRY_ORDER_44);
    // index.interval.bytes and min.cleanable.dirty.ratio share a bucket; the brokers answer them in opposite orders.
    const pair = [['min.cleanable.dirty.ratio', '0.1'], ['index.interval.bytes', '1']] as Array<[string, string]>;
    expect(orderConfigsLikeKafka(pair, V44).map(([n]) => n)).toEqual(['index.interval.bytes', 'min.cleanable.dirty.ratio']);
    expect(orderConfigsLikeKafka(pair, V39).map(([n]) => n)).toEqual(['min.cleanable.dirty.ratio', 'index.interval.bytes']);
  });

  it.each([
    ['an ISR below min.insync.replicas (Elr: 1)', DESCRIBE_ELR_44, DESCRIBE_TOPIC_PARTITIONS_V0_ELR_HEX],
    ['no leader left (Elr: 0,1, LastKnownElr: 0)', DESCRIBE_ELR_LEADERLESS_44, DESCRIBE_TOPIC_PARTITIONS_V0_LEADERLESS_HEX],
  ])('prints the eligible leader replicas Kafka 4.4 keeps after broker kills: %s', (_what, captured, hex) => {
    // The ELR lists come from the real DescribeTopicPartitions answer, the rest from the topic's description.
    const elr = decodeDescribeTopicPartitionsResponse(new Reader(Buffer.from(hex, 'hex')));
    const topic = topicOf(captured);
    const partitions = topic.partitions.map((p) => ({ ...p, ...elr.find((e) => e.partition === p.partition) }));
    expect(renderDescribeText({ ...topic, partitions }, V44)).toBe(captured);
  });
});

describe('DescribeTopicPartitions v0 (the ELR lists kafka-topics.sh prints)', () => {
  it('asks for one topic, up to 2000 partitions, without a cursor', () => {
    expect(encodeDescribeTopicPartitionsRequest('elr').toString('hex')).toBe('02' + '04656c72' + '00' + '000007d0' + 'ff' + '00');
  });

  it('reads each partition\'s ELR and last known ELR from a 4.4 broker\'s answer', () => {
    expect(decodeDescribeTopicPartitionsResponse(new Reader(Buffer.from(DESCRIBE_TOPIC_PARTITIONS_V0_LEADERLESS_HEX, 'hex')))).toEqual([
      { partition: 0, elr: [0, 1], lastKnownElr: [0] },
      { partition: 1, elr: [0, 1], lastKnownElr: [0] },
    ]);
  });
});

describe('DescribeConfigs v4 (a topic\'s configs, read even while partitions have no leader)', () => {
  it('asks for every config of one topic, without synonyms or documentation', () => {
    // resources [ {type 2 (topic), "cfg", keys null} ], include_synonyms false, include_documentation false
    expect(encodeDescribeConfigsRequest('cfg').toString('hex')).toBe('02' + '02' + '04636667' + '00' + '00' + '00' + '00' + '00');
  });

  it('reads a 4.4 broker\'s answer: what is not Kafka\'s default is what kafka-topics.sh prints, in its order', () => {
    const entries = decodeDescribeConfigsResponse(new Reader(Buffer.from(DESCRIBE_CONFIGS_V4_CFG_HEX, 'hex')));
    expect(entries.length).toBe(ADMIN_CONFIG_ENTRY_ORDER_44.length + 2); // + the two throttled-replicas lists
    expect(entries.filter((e) => e.source === 1).map((e) => [e.name, e.value])).toEqual([
      ['min.insync.replicas', '2'], ['cleanup.policy', 'compact'], ['retention.ms', '3600000'],
    ]);
    const nonDefault = entries.filter((e) => e.source !== 5).map((e) => [e.name, e.value ?? ''] as [string, string]);
    const header = DESCRIBE_CFG_44.split('\n')[0];
    expect(header.endsWith(`Configs: ${orderConfigsLikeKafka(nonDefault, V44).map(([k, v]) => `${k}=${v}`).join(',')}`)).toBe(true);
  });
});
