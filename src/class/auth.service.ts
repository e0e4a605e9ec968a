import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { INSTRUCTOR_ID, Principal } from './principal';
import { RosterStore } from './roster.store';
import { hashToken } from './student-credentials';

/** How often a student's last seen time is written at most: each request writing it would be a write per request. */
export const LAST_SEEN_WRITE_MS = 30_000;

/** What a removed student hears: on their open sockets, and on each request made with their token. */
export const REMOVED_SENTENCE = 'You were removed from the class.';
export const UNKNOWN_TOKEN_SENTENCE = 'The token is not known to this lab server.';

/** Told when a principal's token stops working (removal, a new token): the socket gateway closes their sockets. */
export type RevokedListener = (principalId: string, message: string) => void;

interface SignedIn {
  who: Principal;
  /** When a request last came with this token (ms), 0 when none in this process. */
  seen: number;
  /** When last seen was last written (ms), 0 when never in this process. */
  written: number;
}

/**
 * Turns bearer tokens into principals. The instructor token comes from LAB_INSTRUCTOR_TOKEN or is
 * generated once and kept in <dataDir>/instructor-token, so a restart keeps the same token. Students'
 * tokens are known by their sha256 (the roster's rows, loaded once and kept in memory), so a request
 * costs one hash and one map lookup, never a database read.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly log = new Logger('Auth');
  private instructorToken = '';
  /** Token hash -> the student it signs in. */
  private readonly students = new Map<string, SignedIn>();
  private readonly revokedListeners = new Set<RevokedListener>();
  /** Token hash -> why it stopped working (this process's revocations; removals are also found in the roster). */
  private readonly revoked = new Map<string, string>();

  constructor(@Inject(LAB_CONFIG) private readonly config: LabConfig, private readonly roster: RosterStore) {}

  onModuleInit(): void {
    const file = path.join(this.config.dataDir, 'instructor-token');
    fs.mkdirSync(this.config.dataDir, { recursive: true });
    if (this.config.instructorToken) {
      this.instructorToken = this.config.instructorToken;
    } else if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim()) {
      this.instructorToken = fs.readFileSync(file, 'utf8').trim();
    } else {
      this.instructorToken = randomBytes(24).toString('base64url');
      // Never the token itself in a log (logs get pasted into chats and issues): where to read it.
      this.log.log(`Generated a new instructor token; it is in ${file}.`);
    }
    fs.writeFileSync(file, this.instructorToken + '\n', { mode: 0o600 });
    // The start's last line says where it is (logging/boot-report.ts).
    this.log.debug(`The instructor token is in ${file}`);
    for (const r of this.roster.all()) if (!r.removedAt) this.admit({ id: r.id, name: r.name, role: 'student' }, r.tokenHash);
  }

  /** The stored form of the instructor's token (what the instructor's Kafka password is derived from). */
  instructorTokenHash(): string {
    return hashToken(this.instructorToken);
  }

  /** From now on this token hash signs this student in. */
  admit(who: Principal, tokenHash: string): void {
    this.students.set(tokenHash, { who, seen: 0, written: 0 });
  }

  /** The student's token stops working at once; listeners (open sockets) and later requests with it hear `message`. */
  revoke(studentId: string, message: string): void {
    for (const [hash, s] of this.students) {
      if (s.who.id !== studentId) continue;
      this.students.delete(hash);
      this.revoked.set(hash, message);
    }
    for (const l of this.revokedListeners) l(studentId, message);
  }

  /** Calls `listener` at every revoke; returns the way to stop. */
  onRevoked(listener: RevokedListener): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** The principal for a token, or null when nobody has it. */
  verify(token: string | undefined | null): Principal | null {
    if (!token) return null;
    if (safeEqual(token, this.instructorToken)) return { id: INSTRUCTOR_ID, name: 'Instructor', role: 'instructor' };
    const s = this.students.get(hashToken(token));
    if (!s) return null;
    this.seen(s);
    return s.who;
  }

  /**
   * Whether `who` may still act: always the instructor; a student while a token of theirs is admitted.
   * For work that awaited (Kafka) between the request's sign-in and what it leaves running: a student
   * removed meanwhile must not get a consumer after removal stopped theirs.
   */
  stillSignedIn(who: Pick<Principal, 'id' | 'role'>): boolean {
    if (who.role === 'instructor') return true;
    for (const s of this.students.values()) if (s.who.id === who.id) return true;
    return false;
  }

  /** When the student last sent a request in this process (fresher than the stored value), or null. */
  lastSeen(studentId: string): string | null {
    for (const s of this.students.values()) if (s.who.id === studentId && s.seen) return new Date(s.seen).toISOString();
    return null;
  }

  /** Why `verify` refused this token: a removed student or a replaced token is told so, anyone else gets the plain sentence. */
  refusal(token: string): string {
    const hash = hashToken(token);
    const known = this.revoked.get(hash);
    if (known) return known;
    // After a restart: a removed student's row keeps its last token hash.
    const row = this.roster.byTokenHash(hash);
    return row?.removedAt ? REMOVED_SENTENCE : UNKNOWN_TOKEN_SENTENCE;
  }

  private seen(s: SignedIn): void {
    const now = Date.now();
    s.seen = now;
    if (now - s.written < LAST_SEEN_WRITE_MS) return;
    s.written = now;
    this.roster.setLastSeen(s.who.id, new Date(now).toISOString());
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
