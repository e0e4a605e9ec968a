import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { StudentView } from '../class/class.types';
import { presentEvidence } from '../class/present';
import type { Principal } from '../class/principal';
import { RosterService } from '../class/roster.service';
import { notFound } from '../common/lab-error';
import { LiveBus } from '../timeline/live-bus';
import { TimelineService } from '../timeline/timeline.service';
import { CHECKPOINTS, CheckpointId, isCheckpointId } from './checkpoints';
import { gradingCsv } from './grading-csv';
import type { Grader, GradingReport, Passed } from './grading.types';

/** Makes the grader the service folds the timeline into (GradingModule gives the engine's). */
export const GRADER_FACTORY = 'GRADER_FACTORY';
export type GraderFactory = () => Grader;

/** Events read from the timeline per round: a page of the replay at boot, or what is new. */
const PAGE = 5000;

const passKey = (studentId: string, checkpoint: string) => `${studentId}\u0000${checkpoint}`;
const byName = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/**
 * Every student's checkpoints, kept up to date from the timeline: the grader is fed each stored event
 * once, in seq order (the whole timeline at boot, then what is new), so a request costs a catch-up of
 * the last few events rather than a rescan. Each first pass goes on the timeline as `checkpoint.passed`
 * once ever: at boot the replay notes the ones already stored, so a restart publishes only passes that
 * never got theirs (a crash between finding and storing one). Publishing waits for a tick of its own,
 * never inside another event's publish, where the timeline's listeners would be re-entered.
 */
@Injectable()
export class GradingService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Grading');
  private readonly grader: Grader;
  /** The seq of the last event fed to the grader. */
  private cursor = 0;
  /** Student and checkpoint pairs with a checkpoint.passed stored (or being stored now). */
  private readonly announced = new Set<string>();
  /**
   * The stored checkpoint.passed events, by student and checkpoint: a pass once announced stays a pass,
   * even if a later version of the rules would not find it again in the same timeline.
   */
  private readonly stored = new Map<string, Pick<Passed, 'at' | 'evidence'>>();
  /** Passes the grader found whose checkpoint.passed is still to be stored, oldest first. */
  private unannounced: Passed[] = [];
  private tick: NodeJS.Immediate | null = null;
  private off: (() => void) | null = null;

  constructor(
    @Inject(GRADER_FACTORY) makeGrader: GraderFactory,
    private readonly timeline: TimelineService,
    private readonly bus: LiveBus,
    private readonly roster: RosterService,
  ) {
    this.grader = makeGrader();
  }

  onModuleInit(): void {
    const started = Date.now();
    this.catchUp();
    this.log.log(`Graded the ${this.cursor ? `timeline up to event ${this.cursor}` : 'empty timeline'} in ${Date.now() - started} ms.`);
    // The listener only asks for a catch-up on a tick of its own: it runs inside the publish.
    this.off = this.bus.on('event', () => this.schedule());
    this.roster.gradeWith((studentId) => this.passedIds(studentId));
    if (this.unannounced.length) this.schedule();
  }

  onModuleDestroy(): void {
    this.off?.();
    if (this.tick) clearImmediate(this.tick);
    this.tick = null;
  }

  /** GET /api/grading: every student in the class, by name. */
  async reports(): Promise<GradingReport[]> {
    const students = await this.roster.list();
    this.catchUp();
    return students.sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : 1)).map((s) => this.reportOf(s, null));
  }

  /** GET /api/grading?format=csv. */
  async csv(): Promise<string> {
    return gradingCsv(await this.reports());
  }

  /**
   * GET /api/grading/{studentId}: the instructor's, or the student's own. Another student's id gets
   * the sentence of one nobody has, so a student cannot learn who is in the class.
   */
  async report(who: Principal, studentId: string): Promise<GradingReport> {
    const student = who.role === 'instructor' || who.id === studentId ? await this.roster.view(studentId) : null;
    if (!student) throw notFound(`There is no student ${studentId}.`);
    this.catchUp();
    return this.reportOf(student, who.role === 'instructor' ? null : who);
  }

  /** The checkpoints a student passed so far, in CHECKPOINTS order (roster, labs). */
  passedIds(studentId: string): CheckpointId[] {
    this.catchUp();
    return CHECKPOINTS.filter((c) => this.passOf(studentId, c.id)).map((c) => c.id);
  }

  /** The grader's pass, else the stored announcement of one (see `stored`). */
  private passOf(studentId: string, checkpoint: CheckpointId): Pick<Passed, 'at' | 'evidence'> | undefined {
    return this.grader.passed(studentId).get(checkpoint) ?? this.stored.get(passKey(studentId, checkpoint));
  }

  /** `student` with the checkpoints it passed; `viewer` a student reads their evidence in their own names. */
  private reportOf(student: StudentView, viewer: Principal | null): GradingReport {
    const checkpoints = CHECKPOINTS.map(({ id, title }) => {
      const p = this.passOf(student.id, id);
      if (!p) return { id, title, passed: false, at: null, evidence: null };
      return { id, title, passed: true, at: p.at, evidence: viewer ? presentEvidence(viewer, p.evidence) : p.evidence };
    });
    return { student: { ...student, checkpoints: checkpoints.filter((c) => c.passed).map((c) => c.id) }, checkpoints };
  }

  /**
   * Feeds the grader every stored event after the cursor, synchronously (what a request answers
   * includes everything stored before it), and queues the passes it finds for announcing.
   */
  private catchUp(): void {
    for (;;) {
      const page = this.timeline.scan(this.cursor, PAGE);
      for (const { ev, scope } of page) {
        this.cursor = ev.seq;
        if (ev.type === 'checkpoint.passed') {
          const key = passKey(ev.studentId, ev.checkpoint);
          this.announced.add(key);
          if (isCheckpointId(ev.checkpoint)) this.stored.set(key, { at: ev.earnedAt ?? ev.time, evidence: ev.evidence as Passed['evidence'] });
        }
        try {
          for (const p of this.grader.apply(ev, scope)) this.unannounced.push(p);
        } catch (e) {
          // One event the grader cannot read must not stop grading the rest of the timeline.
          this.log.error(`Grading event ${ev.seq} (${ev.type}) failed: ${(e as Error).message}`);
        }
      }
      if (page.length < PAGE) break;
    }
    if (this.unannounced.length) this.schedule();
  }

  private schedule(): void {
    this.tick ??= setImmediate(() => {
      this.tick = null;
      this.catchUp();
      this.announce();
    });
  }

  /** Stores a checkpoint.passed for each queued pass that has none yet. */
  private announce(): void {
    const queued = this.unannounced;
    this.unannounced = [];
    for (const [i, p] of queued.entries()) {
      const key = passKey(p.studentId, p.checkpoint);
      if (this.announced.has(key)) continue;
      const ev = this.timeline.publish(
        { type: 'checkpoint.passed', actor: 'system', studentId: p.studentId, checkpoint: p.checkpoint, evidence: p.evidence, earnedBy: p.seq, earnedAt: p.at },
        { owner: p.studentId },
      );
      // seq 0: the timeline is closed (shutting down). The next start finds these passes again.
      if (ev.seq === 0) {
        this.unannounced = queued.slice(i);
        return;
      }
      this.announced.add(key);
      this.log.debug(`${p.studentId} passed ${p.checkpoint} (event ${p.seq}).`);
    }
  }
}
