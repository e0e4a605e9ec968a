import { Injectable, Logger } from '@nestjs/common';
import { badInput, conflict, LabError, notFound } from '../common/lab-error';
import { TimelineService } from '../timeline/timeline.service';
import { AuthService, REMOVED_SENTENCE } from './auth.service';
import { ClassSettingsService } from './class-settings.service';
import { StudentWithToken } from './class.types';
import { JoinLimiter } from './join-limiter';
import { Principal } from './principal';
import { RosterStore, StudentRow } from './roster.store';
import { hashToken, newStudentId, newToken } from './student-credentials';
import { cleanName, nameKey, nameTakenSentence } from './student-name';

/**
 * What a change of who signs in means on the cluster (the class listener's SCRAM users and ACLs), set
 * by KafkaAccessService when the class listener is on. Each resolves once Kafka has it, or the failure
 * is logged (the reconcile catches up): a hook never rejects, so Kafka never loses a join.
 */
export interface StudentKafkaHooks {
  admitted(rows: readonly StudentRow[]): Promise<void>;
  tokenChanged(row: StudentRow): Promise<void>;
  removed(row: StudentRow): Promise<void>;
}

const REISSUED_SENTENCE = 'This token was replaced by a new one; sign in with the new token (ask the instructor for it).';

/**
 * Who is in the class: adding students (the instructor, one or a list, all or nothing), joining with
 * the class code, new tokens, and the roster's record of a removal. Stopping a removed student's
 * consumers and deleting their topics is roster-admin's part (it knows those concerns).
 */
@Injectable()
export class StudentsService {
  private readonly log = new Logger('Roster');
  private readonly limiter = new JoinLimiter();
  private kafkaHooks: StudentKafkaHooks | null = null;

  constructor(
    private readonly store: RosterStore,
    private readonly auth: AuthService,
    private readonly settings: ClassSettingsService,
    private readonly timeline: TimelineService,
  ) {}

  /** The class listener's users and ACLs follow the roster from now on. */
  useKafkaAccess(hooks: StudentKafkaHooks): void {
    this.kafkaHooks = hooks;
  }

  /** POST /api/students: `{ name }` answers one student, `{ names }` a list. */
  addFromBody(body: { name?: unknown; names?: unknown[] }, actor: string): Promise<StudentWithToken | StudentWithToken[]> {
    if ((body.name === undefined) === (body.names === undefined)) {
      throw badInput('Send either name (one student) or names (a list), not both and not neither.');
    }
    return body.names === undefined ? this.add([body.name], actor).then(([one]) => one) : this.add(body.names, actor);
  }

  /**
   * The instructor adds students; a taken or repeated name adds none of them (thrown at once). Resolves
   * once their Kafka users exist too, when the class listener is on.
   */
  add(rawNames: unknown[], actor: string): Promise<StudentWithToken[]> {
    if (rawNames.length === 0) throw badInput('names must list at least one name.');
    const names = rawNames.map((raw, i) => {
      const c = cleanName(raw);
      if ('problem' in c) throw badInput(rawNames.length === 1 ? `${c.problem}.` : `names[${i}]: ${c.problem}.`);
      return c.name;
    });
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(nameKey(n))) throw conflict(`The name ${n} is in the list twice; names in a class are unique (case does not count).`);
      seen.add(nameKey(n));
    }
    return this.create(names, actor);
  }

  /** A student joins with the class's code. `address` is the caller's, for the guessing limit. Refusals are thrown at once. */
  join(code: unknown, rawName: unknown, address: string): Promise<StudentWithToken> {
    const wait = this.limiter.waitSeconds(address);
    if (wait > 0) {
      throw new LabError('TOO_MANY', `Too many wrong join codes from your address; try again in ${wait} s.`, undefined, { retryAfterSeconds: wait });
    }
    if (typeof code !== 'string' || code.length === 0) throw badInput('code must be the class\'s join code, as a string.');
    const c = cleanName(rawName);
    if ('problem' in c) throw badInput(`${c.problem}.`);
    const settings = this.settings.get();
    if (code !== settings.joinCode) {
      this.limiter.failed(address);
      throw new LabError('FORBIDDEN', "That is not this class's join code.");
    }
    if (!settings.joinOpen) throw new LabError('FORBIDDEN', 'Joining is closed; ask the instructor.');
    return this.create([c.name], null).then(([student]) => student);
  }

  /** A new token for a student; the old one stops working now and the sockets it opened close; their Kafka password changes with it. */
  reissue(id: string, actor: string): Promise<StudentWithToken> {
    const row = this.active(id);
    const token = newToken();
    this.store.setTokenHash(row.id, hashToken(token));
    this.auth.revoke(row.id, REISSUED_SENTENCE);
    const who = principalOf(row);
    this.auth.admit(who, hashToken(token));
    this.log.log(`${actor} gave ${row.name} (${row.id}) a new token.`);
    const answer: StudentWithToken = { ...who, role: 'student', token };
    return (this.kafkaHooks?.tokenChanged({ ...row, tokenHash: hashToken(token) }) ?? Promise.resolve()).then(() => answer);
  }

  /** The student in the class with this id; 404 for unknown and removed ones. */
  active(id: string): StudentRow {
    const row = this.store.byId(id);
    if (!row || row.removedAt) throw notFound(`There is no student ${id} in the class.`);
    return row;
  }

  /** The last time the student sent a request, as far as anyone knows (memory first, then the database). */
  lastSeen(row: StudentRow): string | null {
    return this.auth.lastSeen(row.id) ?? row.lastSeen;
  }

  /** Students in the class (not removed), oldest first. */
  inClass(): StudentRow[] {
    return this.store.all().filter((r) => !r.removedAt);
  }

  /**
   * Takes the student off the roster: their token dies now, their sockets hear why. The row stays
   * (grades name them). Resolves once their Kafka user and ACLs are gone (class listener on).
   */
  markRemoved(row: StudentRow): Promise<void> {
    this.store.markRemoved(row.id, new Date().toISOString());
    this.auth.revoke(row.id, REMOVED_SENTENCE);
    return this.kafkaHooks?.removed(row) ?? Promise.resolve();
  }

  /**
   * `actor` null: each student joins by themselves (the event's actor is their own id). The roster
   * changes at once (or throws); the promise waits for their Kafka users.
   */
  private create(names: string[], actor: string | null): Promise<StudentWithToken[]> {
    const now = new Date().toISOString();
    const taken = new Set<string>();
    const made = names.map((name) => {
      const token = newToken();
      const row = this.newRow(name, hashToken(token), now, taken);
      taken.add(row.id);
      return { token, row };
    });
    this.store.insertAll(made.map((m) => m.row), () => {
      // Checked inside the write so two joins with one name cannot both pass.
      for (const { row } of made) if (this.store.byNameKey(row.nameKey)) throw conflict(nameTakenSentence(row.name));
    });
    const answer = made.map(({ token, row }) => {
      const who = principalOf(row);
      this.auth.admit(who, row.tokenHash);
      this.timeline.publish({ type: 'student.joined', actor: actor ?? row.id, studentId: row.id, name: row.name }, { owner: row.id });
      return { id: row.id, name: row.name, role: 'student' as const, token };
    });
    return (this.kafkaHooks?.admitted(made.map((m) => m.row)) ?? Promise.resolve()).then(() => answer);
  }

  private newRow(name: string, tokenHash: string, joinedAt: string, taken: Set<string>): StudentRow {
    let id = newStudentId();
    // 36^6 ids: a clash is rare, but the id is a primary key and a cluster prefix, so it must be new.
    while (taken.has(id) || this.store.byId(id)) id = newStudentId();
    return { id, name, nameKey: nameKey(name), tokenHash, joinedAt, lastSeen: null, removedAt: null };
  }
}

function principalOf(row: StudentRow): Principal {
  return { id: row.id, name: row.name, role: 'student' };
}
