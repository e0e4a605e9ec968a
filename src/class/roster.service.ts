import { Injectable, Logger } from '@nestjs/common';
import { LabError } from '../common/lab-error';
import { ConsumersService } from '../consumers/consumers.service';
import { TimelineService } from '../timeline/timeline.service';
import { TopicsService } from '../topics/topics.service';
import { StudentView } from './class.types';
import { INSTRUCTOR_ID, Principal } from './principal';
import { QuotaService } from './quotas';
import type { StudentRow } from './roster.store';
import { StudentsService } from './students.service';

const INSTRUCTOR: Principal = { id: INSTRUCTOR_ID, name: 'Instructor', role: 'instructor' };
/**
 * Consumers in these states count as "running now" on the roster. The consumers quota also counts a
 * crashed one (ConsumersService: isAlive), since the supervisor is bringing it back.
 */
const LIVE_STATES = new Set(['joining', 'running']);

/**
 * The roster as the instructor sees it (with what each student runs) and a student's removal: the
 * token dies, the sockets close, the consumers stop and, when asked, the topics go.
 */
@Injectable()
export class RosterService {
  private readonly log = new Logger('Roster');

  constructor(
    private readonly students: StudentsService,
    private readonly consumers: ConsumersService,
    private readonly topics: TopicsService,
    private readonly timeline: TimelineService,
    private readonly quotas: QuotaService,
  ) {}

  /** Each student's passed checkpoints, from grading (gradeWith); none until grading registers. */
  private checkpointsOf: (studentId: string) => string[] = () => [];

  /**
   * Grading tells the roster where each student's checkpoints come from. A hook rather than an
   * injection: grading reads the roster for its reports, so the roster cannot inject grading.
   */
  gradeWith(source: (studentId: string) => string[]): void {
    this.checkpointsOf = source;
  }

  async list(): Promise<StudentView[]> {
    return this.views(this.students.inClass());
  }

  /** One student in the class as list() shows them; null for an unknown or removed id. */
  async view(id: string): Promise<StudentView | null> {
    const row = this.students.inClass().find((r) => r.id === id);
    return row ? (await this.views([row]))[0] : null;
  }

  private async views(rows: StudentRow[]): Promise<StudentView[]> {
    if (rows.length === 0) return [];
    const consumers = new Map<string, number>();
    for (const c of this.consumers.all()) if (LIVE_STATES.has(c.state)) consumers.set(c.owner, (consumers.get(c.owner) ?? 0) + 1);
    const topics = await this.topicCounts();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: 'student' as const,
      joinedAt: r.joinedAt,
      lastSeen: this.students.lastSeen(r),
      consumers: consumers.get(r.id) ?? 0,
      topics: topics.get(r.id) ?? 0,
      checkpoints: this.checkpointsOf(r.id),
    }));
  }

  /** Removes a student; resolves once their consumers stopped and (purge) their topics are deleted. */
  async remove(id: string, purge: boolean, actor: string): Promise<void> {
    const row = this.students.active(id);
    // Their topics are listed before anything changes: with the cluster stopped a purge is refused
    // (409) while the student is still there to be removed again, not after they are half gone.
    const listed = purge ? await this.topicsOf(row.id) : [];
    // The token next: nothing the student sends from now on is let in while the rest is undone.
    // Their Kafka user and ACLs go meanwhile (class listener on); awaited before the answer.
    const offKafka = this.students.markRemoved(row);
    await this.consumers.removeOwner(row.id, actor);
    this.quotas.forget(row.id);
    // A topic create of theirs sent before the token died may still be waiting for Kafka: its topic
    // would be missing from the first list and outlive the purge. Their creates run one at a time
    // (QuotaService), so once those have answered, a second list has every topic they made.
    let topics = listed;
    if (purge) {
      await this.quotas.topicCreatesSettled(row.id);
      topics = await this.topicsOf(row.id).catch(() => listed);
    }
    // All at once, each on its own: one topic Kafka cannot delete now does not keep the others.
    const results = await Promise.allSettled(topics.map((t) => this.topics.delete(INSTRUCTOR, t)));
    const left = topics.filter((_, i) => results[i].status === 'rejected');
    await offKafka;
    this.timeline.publish({ type: 'student.removed', actor, studentId: row.id, name: row.name, purged: purge && left.length === 0 }, { owner: row.id });
    const purged = !purge ? '' : left.length ? ` and ${topics.length - left.length} of their ${topics.length} topics` : ' and their topics';
    this.log.log(`${actor} removed ${row.name} (${row.id})${purged}.`);
    if (left.length) {
      const why = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
      throw new LabError(
        'KAFKA_UNAVAILABLE',
        `${row.name} was removed, but ${left.length === 1 ? 'topic' : 'topics'} ${left.join(', ')} could not be deleted (${why.message.replace(/\.$/, '')}); delete ${left.length === 1 ? 'it' : 'them'} with DELETE /api/topics/{name}.`,
      );
    }
  }

  /** Topics on the cluster per student; none known while the cluster cannot be asked (the roster still answers). */
  private async topicCounts(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    try {
      for (const t of await this.topics.list(INSTRUCTOR, false)) if (t.owner !== INSTRUCTOR_ID) out.set(t.owner, (out.get(t.owner) ?? 0) + 1);
    } catch (e) {
      this.log.debug(`The roster's topic counts are unknown: ${(e as Error).message}`);
    }
    return out;
  }

  /** Cluster names of a student's topics. */
  private async topicsOf(studentId: string): Promise<string[]> {
    return (await this.topics.list(INSTRUCTOR, false)).filter((t) => t.owner === studentId).map((t) => t.name);
  }
}
