import { Injectable } from '@nestjs/common';
import type { Principal } from '../class/principal';
import { notFound } from '../common/lab-error';
import type { CheckpointId } from '../grading/checkpoints';
import { GradingService } from '../grading/grading.service';
import { LABS } from './labs.catalogue';
import type { Lab, LabSpec, LabSummary } from './labs.types';

/** The guided labs (labs.catalogue.ts), each step ticked with what the caller passed (grading). */
@Injectable()
export class LabsService {
  constructor(private readonly grading: GradingService) {}

  /** GET /api/labs. */
  list(who: Principal): LabSummary[] {
    const passed = this.passedBy(who);
    return LABS.map((lab) => {
      const checkpoints = checkpointsOf(lab);
      return { id: lab.id, title: lab.title, summary: lab.summary, kafka: lab.kafka, checkpoints, passed: passed ? checkpoints.filter((c) => passed.has(c)) : [] };
    });
  }

  /** GET /api/labs/{id}; the id in either case. */
  one(who: Principal, id: string): Lab {
    const lab = LABS.find((l) => l.id === id.toUpperCase());
    if (!lab) throw notFound(`There is no lab ${id}; the labs are A to G.`);
    const passed = this.passedBy(who);
    return {
      id: lab.id,
      title: lab.title,
      summary: lab.summary,
      kafka: lab.kafka,
      steps: lab.steps.map((s, i) => ({ n: i + 1, ...s, passed: s.checkpoint && passed ? passed.has(s.checkpoint) : null })),
    };
  }

  /** What the caller passed; null for the instructor, who is never graded. */
  private passedBy(who: Principal): Set<CheckpointId> | null {
    return who.role === 'instructor' ? null : new Set(this.grading.passedIds(who.id));
  }
}

/** The checkpoints a lab's steps earn, in step order. */
export function checkpointsOf(lab: LabSpec): CheckpointId[] {
  return lab.steps.flatMap((s) => (s.checkpoint ? [s.checkpoint] : []));
}
