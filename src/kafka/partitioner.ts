import { PartitionMetadata, Partitioners } from 'kafkajs';

/** A partition and its leader (null: none), as placement needs them. */
export interface PartitionLeader {
  partition: number;
  leader: number | null;
}

export interface PlacedMessage {
  key: string | Buffer | null | undefined;
  value: string | Buffer | null;
  /** Asked for explicitly: kept as is. */
  partition?: number;
}

/**
 * Kafka's default partitioner (murmur2 of the key, as the Java client; keyless messages spread), so a
 * keyed message lands where any other client would put it. Build one placement per request.
 */
export class DefaultPartitioner {
  private readonly pick = Partitioners.DefaultPartitioner();

  /** The placement of messages on this topic's partitions. */
  placement(topic: string, partitions: readonly PartitionLeader[]): (m: PlacedMessage) => number {
    // Only partitionId and leader matter to the partitioner.
    const partitionMetadata = partitions.map((p) => ({ partitionId: p.partition, leader: p.leader ?? -1 })) as unknown as PartitionMetadata[];
    return (m) => this.pick({ topic, partitionMetadata, message: { key: m.key, value: m.value, partition: m.partition } as never });
  }
}
