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
    expect(renderDescribeText(fromMetadata(dead.topics[0], STATIC))).toBe(DESCRIBE_RF1_BROKER0_DEAD);
  });

  it('RF 2 topic with a replica down: shrunk ISR, topic configs in the tool\'s order', () => {
    expect(renderDescribeText(fromMetadata(dead.topics[1], RF2_CONFIGS))).toBe(DESCRIBE_RF2_BROKER0_DEAD);
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
    expect(renderDescribeText(rf1)).toBe(DESCRIBE_RF1_HEALTHY);
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
    expect(renderDescribeText(rf2)).toBe(DESCRIBE_RF2_HEALTHY);
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
    expect(renderDescribeText(topic)).toBe(DESCRIBE_CFG_MANY_HEALTHY);
  });

  it('orders all 36 config names of a 3.9 topic exactly as the admin client iterates them', () => {
    const shuffled = [...ADMIN_CONFIG_ENTRY_ORDER].sort().map((n) => [n, 'x'] as [string, string]);
    expect(orderConfigsLikeKafka(shuffled).map(([n]) => n)).toEqual(ADMIN_CONFIG_ENTRY_ORDER);
  });

  it('no configs, no topic id, a reassignment and ELR lists, like the tool prints them', () => {
    const text = renderDescribeText({
      name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', replicationFactor: 2, configs: {},
      partitions: [{ partition: 0, leader: null, replicas: [2, 0, 1], isr: [], addingReplicas: [2], removingReplicas: [1], elr: [0], lastKnownElr: null }],
    });
    expect(text).toBe(
      'Topic: t\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: \n' +
      '\tTopic: t\tPartition: 0\tLeader: none\tReplicas: 2,0,1\tIsr: \tAdding Replicas: 2\tRemoving Replicas: 1\tElr: 0\tLastKnownElr: N/A\n',
    );
  });
});
