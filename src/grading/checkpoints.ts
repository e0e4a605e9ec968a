/**
 * The checkpoints of LABS.md ("Checkpoints for grading"), in the order the labs reach them: the columns
 * of the CSV, the rows of a report, the enum of openapi.yaml's Checkpoint.id.
 */
export const CHECKPOINTS = [
  { id: 'replicated-topic', lab: 'A', title: 'A topic with replication factor 3 or more and 3 or more partitions' },
  { id: 'pub-sub', lab: 'A', title: 'Two consumers in different groups received the same message' },
  { id: 'load-sharing', lab: 'A', title: 'Two consumers of one group, running together, shared the messages: none got the same one' },
  { id: 'consumer-failover', lab: 'B', title: 'A group member stopped or died and a survivor took over its partitions and read from them' },
  { id: 'broker-failover', lab: 'C', title: 'A message produced while a broker was down, on a partition whose leader changed, was consumed' },
  { id: 'no-data-loss', lab: 'D', title: 'After a broker went down, a topic read from the beginning gave back every message produced to it' },
  { id: 'incremental-rebalance', lab: 'F', title: 'In a consumer-protocol group a member kept a partition and read from it while another partition moved' },
  { id: 'share-group', lab: 'G', title: 'Two share consumers got different records of one partition, and a released record came back with a higher delivery count' },
] as const;

export type CheckpointId = (typeof CHECKPOINTS)[number]['id'];

export const CHECKPOINT_IDS: readonly CheckpointId[] = CHECKPOINTS.map((c) => c.id);

export function isCheckpointId(s: string): s is CheckpointId {
  return (CHECKPOINT_IDS as readonly string[]).includes(s);
}
