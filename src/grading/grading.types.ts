import type { StudentView } from '../class/class.types';
import type { CheckpointId } from './checkpoints';

/** One message that proves something: who received what, where. Read it back with GET /api/consumers/{id}/messages. */
export interface EvidenceMessage {
  consumerId: string;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * What shows that a checkpoint passed, for a sceptical grader to check by hand: the timeline events
 * (GET /api/events?after=<seq-1>&limit=1 reads one back), the consumers, and the messages. Names are the
 * cluster's; a student reading their own evidence gets their own names (present.ts).
 */
export interface Evidence {
  /** One sentence a grader reads first, naming the consumers, topic, partitions and offsets below. */
  summary: string;
  /** Seqs of the events that prove it, ascending. */
  events: number[];
  /** The consumer ids involved. */
  consumers: string[];
  /** The messages that prove it (a handful, not every one). */
  messages: EvidenceMessage[];
  topics?: string[];
  groups?: string[];
  /** Broker node ids (broker-failover, no-data-loss). */
  nodes?: number[];
  /** no-data-loss: per partition, how many messages had been produced and were all received. */
  produced?: Record<string, number>;
}

/** `Checkpoint` of openapi.yaml. */
export interface CheckpointResult {
  id: CheckpointId;
  title: string;
  passed: boolean;
  /** When the event that earned it happened (its `time`); null until passed. */
  at: string | null;
  evidence: Evidence | null;
}

/** `GradingReport` of openapi.yaml. */
export interface GradingReport {
  student: StudentView;
  checkpoints: CheckpointResult[];
}

/** A checkpoint a student passed, as the engine found it: the event that earned it gives `seq` and `at`. */
export interface Passed {
  studentId: string;
  checkpoint: CheckpointId;
  seq: number;
  at: string;
  evidence: Evidence;
}

/**
 * Folds the stored timeline, in seq order, into every student's checkpoints (src/grading/engine/).
 * Pure and deterministic: the same events give the same passes, seqs, times and evidence, so a restart
 * that replays the timeline grades exactly as before. Cheap per event, so grading is incremental: the
 * service feeds it only what is new.
 */
export interface Grader {
  /** Takes one stored event (with its scope, as stored); returns the checkpoints it made pass for the first time. */
  apply(ev: import('../timeline/events').LabEvent, scope: import('../timeline/timeline.types').EventScope): Passed[];
  /** What the student passed so far (empty for a student it never saw). */
  passed(studentId: string): ReadonlyMap<CheckpointId, Passed>;
  /** The seq of the last event applied (0 before any). */
  readonly cursor: number;
}
