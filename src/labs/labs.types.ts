import type { CheckpointId } from '../grading/checkpoints';

export const LAB_IDS = ['A', 'B', 'C', 'D', 'E', 'F', 'G'] as const;
export type LabId = (typeof LAB_IDS)[number];

/** The Kafka a lab needs: Labs A–E run on 3.9 too, F and G need Kafka 4's protocols (KIP-848, KIP-932). */
export type LabKafka = '3.9+' | '4.x';

/** One step of a lab as the catalogue writes it. */
export interface LabStepSpec {
  /** What to do, in a sentence or two. */
  text: string;
  /** What to look for once it is done. */
  watch: string;
  /** The calls, one a line: `METHOD /api/path {json body}`; `{c1}` stands for an id the caller got earlier. */
  api: string[];
  /** The same with klab, one command a line; `<c1>` stands for an id. */
  cli: string[];
  /** The checkpoint this step earns, if any: each checkpoint is earned at one step of its own lab. */
  checkpoint: CheckpointId | null;
}

export interface LabSpec {
  id: LabId;
  title: string;
  summary: string;
  kafka: LabKafka;
  steps: LabStepSpec[];
}

/** `LabStep` of openapi.yaml: a step with its number and whether the caller passed its checkpoint. */
export interface LabStep extends LabStepSpec {
  /** 1-based. */
  n: number;
  /** null when the step has no checkpoint, or for the instructor (who is never graded). */
  passed: boolean | null;
}

/** `Lab` of openapi.yaml (GET /api/labs/{id}). */
export interface Lab {
  id: LabId;
  title: string;
  summary: string;
  kafka: LabKafka;
  steps: LabStep[];
}

/** `LabSummary` of openapi.yaml (GET /api/labs). */
export interface LabSummary {
  id: LabId;
  title: string;
  summary: string;
  kafka: LabKafka;
  /** The checkpoints its steps earn, in the order of the steps. */
  checkpoints: CheckpointId[];
  /** Those of them the caller passed; always empty for the instructor. */
  passed: CheckpointId[];
}
