import type { CheckpointId } from '../checkpoints';
import type { Evidence } from '../grading.types';
import type { World } from './world';
import type { Change } from './world-state';

/**
 * One checkpoint's reading of the timeline. The engine hands it every change of a student who has not
 * passed it yet, after the world took the event; it answers with the evidence when that change
 * completes the checkpoint. A rule keeps only what it needs to decide later (indexes, never history to
 * rescan), and only for students still to pass.
 */
export interface Rule {
  readonly id: CheckpointId;
  check(change: Change, world: World): Evidence | null;
}
