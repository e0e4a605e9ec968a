import { diffPartitions } from '../../src/kafka/partition-watcher';
import type { ClusterMetadata, MetadataPartition } from '../../src/kafka/protocol';

const part = (partition: number, leader: number | null, isr: number[], replicas = [0, 1, 2]): MetadataPartition =>
  ({ partition, errorCode: leader === null ? 5 : 0, leader, leaderEpoch: 0, replicas, isr, offlineReplicas: [] });
const md = (topics: Record<string, MetadataPartition[]>, internal: string[] = []): ClusterMetadata => ({
  clusterId: 'c', controllerId: 0, brokers: [],
  topics: Object.entries(topics).map(([name, partitions]) => ({ name, topicId: 'x', isInternal: internal.includes(name), errorCode: 0, partitions })),
});

describe('leader and ISR diffs for the timeline', () => {
  it('reports a leader change and an ISR shrink of the same partition', () => {
    const out = diffPartitions(md({ t: [part(0, 0, [0, 1, 2]), part(1, 1, [1, 2, 0])] }), md({ t: [part(0, 1, [1, 2]), part(1, 1, [1, 2])] }));
    expect(out).toEqual([
      { topic: 't', partition: 0, leaderFrom: 0, leaderTo: 1, isr: [1, 2], isrPrevious: [0, 1, 2] },
      { topic: 't', partition: 1, isr: [1, 2], isrPrevious: [1, 2, 0] },
    ]);
  });

  it('reports a partition losing its leader as a change to null, and the way back', () => {
    expect(diffPartitions(md({ t: [part(0, 2, [2], [2])] }), md({ t: [part(0, null, [2], [2])] }))).toEqual([{ topic: 't', partition: 0, leaderFrom: 2, leaderTo: null }]);
    expect(diffPartitions(md({ t: [part(0, null, [2], [2])] }), md({ t: [part(0, 2, [2], [2])] }))).toEqual([{ topic: 't', partition: 0, leaderFrom: null, leaderTo: 2 }]);
  });

  it('ignores ISR reordering, new and deleted topics, and internal topics', () => {
    expect(diffPartitions(md({ t: [part(0, 0, [0, 1])] }), md({ t: [part(0, 0, [1, 0])] }))).toEqual([]);
    expect(diffPartitions(md({}), md({ t: [part(0, 0, [0])] }))).toEqual([]);
    expect(diffPartitions(md({ t: [part(0, 0, [0])] }), md({}))).toEqual([]);
    expect(diffPartitions(md({ __consumer_offsets: [part(0, 0, [0, 1])] }, ['__consumer_offsets']), md({ __consumer_offsets: [part(0, 1, [1])] }, ['__consumer_offsets']))).toEqual([]);
  });
});
