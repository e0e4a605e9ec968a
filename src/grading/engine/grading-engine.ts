import type { LabEvent } from '../../timeline/events';
import type { EventScope } from '../../timeline/timeline.types';
import { CHECKPOINTS, CheckpointId } from '../checkpoints';
import type { Grader, Passed } from '../grading.types';
import type { Rule } from './rule';
import { BrokerFailoverRule } from './rules/broker-failover';
import { ConsumerFailoverRule } from './rules/consumer-failover';
import { IncrementalRebalanceRule } from './rules/incremental-rebalance';
import { LoadSharingRule } from './rules/load-sharing';
import { NoDataLossRule } from './rules/no-data-loss';
import { PubSubRule } from './rules/pub-sub';
import { ReplicatedTopicRule } from './rules/replicated-topic';
import { ShareGroupRule } from './rules/share-group';
import { World } from './world';
import type { Change } from './world-state';

/**
 * The Grader: folds the timeline, one stored event at a time in seq order, into the world model
 * (world.ts) and hands what changed to the eight rules (rules/). Pure (no IO, no clock, no
 * randomness), so replaying the same events gives the same passes with the same evidence. A pass is
 * for good: once a student passed a checkpoint its rule no longer looks at their events.
 */
export class GradingEngine implements Grader {
  private readonly world = new World();
  private readonly rules: Rule[] = [
    new ReplicatedTopicRule(),
    new PubSubRule(),
    new LoadSharingRule(),
    new ConsumerFailoverRule(),
    new BrokerFailoverRule(),
    new NoDataLossRule(),
    new IncrementalRebalanceRule(),
    new ShareGroupRule(),
  ];
  private readonly byStudent = new Map<string, Map<CheckpointId, Passed>>();
  private last = 0;

  get cursor(): number {
    return this.last;
  }

  /**
   * An event at or below the cursor was applied already and is ignored: a service may hand over an
   * overlap between the replayed tail and the live events without counting anything twice.
   */
  apply(ev: LabEvent, scope: EventScope): Passed[] {
    if (ev.seq <= this.last) return [];
    this.last = ev.seq;
    // The engine's own verdicts are no evidence of anything.
    if (ev.type === 'checkpoint.passed') return [];
    const change = this.world.apply(ev, scope);
    if (!change) return [];
    if (change.kind !== 'written' && change.kind !== 'leader-changed') return this.check(change, ev);
    // Nobody's in particular: it may complete a checkpoint for each student who read there.
    const students = new Set<string>();
    const parts = change.kind === 'written' ? change.writes.map((w) => w.part) : [change.part];
    for (const part of parts) for (const s of part.readers.keys()) students.add(s);
    const out: Passed[] = [];
    for (const student of students) out.push(...this.check({ ...change, student }, ev));
    return out;
  }

  private check(change: Change, ev: LabEvent): Passed[] {
    let mine = this.byStudent.get(change.student);
    const out: Passed[] = [];
    for (const rule of this.rules) {
      if (mine?.has(rule.id)) continue;
      const evidence = rule.check(change, this.world);
      if (!evidence) continue;
      const p: Passed = { studentId: change.student, checkpoint: rule.id, seq: ev.seq, at: ev.time, evidence };
      if (!mine) this.byStudent.set(change.student, (mine = new Map()));
      mine.set(rule.id, p);
      out.push(p);
    }
    return out;
  }

  /** In CHECKPOINTS order, whatever order they were passed in. */
  passed(studentId: string): ReadonlyMap<CheckpointId, Passed> {
    const mine = this.byStudent.get(studentId);
    const out = new Map<CheckpointId, Passed>();
    if (mine) for (const { id } of CHECKPOINTS) {
      const p = mine.get(id);
      if (p) out.set(id, p);
    }
    return out;
  }
}
