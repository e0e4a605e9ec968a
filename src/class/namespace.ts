import { INSTRUCTOR_ID, Principal } from './principal';

/**
 * Maps the names a caller uses (topics, groups) to the names on the cluster and back. The instructor's
 * names are the cluster's own and are shared with the class. A student's names live under the prefix
 * `s-<student id>.`: ids are made by the server (STUDENT_ID_PATTERN), every student name gets the
 * prefix, so no student can reach another's namespace, and the instructor may not create names in that
 * shape (reservedForStudents). Pure: every service, the timeline's presentation and grading agree.
 */
export const STUDENT_ID_PATTERN = /^[a-z0-9]{6}$/;
const STUDENT_NAME = /^s-([a-z0-9]{6})\./;
/** The instructor may not make these: Kafka treats "." and "_" alike, so `s-abc123_x` would collide with a student's `x`. */
const RESERVED = /^s-[a-z0-9]{6}[._]/;

/** What a student's topic and group names start with on the cluster. */
export function studentPrefix(studentId: string): string {
  return `s-${studentId}.`;
}

export function toClusterName(who: Pick<Principal, 'id' | 'role'>, name: string): string {
  return who.role === 'student' ? studentPrefix(who.id) + name : name;
}

/** The caller's name for a cluster name, or null when the caller may not see it (another student's). */
export function fromClusterName(who: Pick<Principal, 'id' | 'role'>, clusterName: string): string | null {
  if (who.role === 'instructor') return clusterName;
  const owner = ownerOfClusterName(clusterName);
  if (owner === INSTRUCTOR_ID) return clusterName;
  return owner === who.id ? clusterName.slice(studentPrefix(who.id).length) : null;
}

/** Whose a cluster topic or group is: the instructor's (shared) unless it lies in a student's namespace. */
export function ownerOfClusterName(clusterName: string): string {
  return STUDENT_NAME.exec(clusterName)?.[1] ?? INSTRUCTOR_ID;
}

/** The sentence refusing the instructor a name in a student's namespace shape, or null when it is free. */
export function reservedForStudents(name: string, what: 'topic' | 'group'): string | null {
  if (!RESERVED.test(name)) return null;
  return `A ${what} name starting with "s-", six letters or digits and a "." or "_" is kept for the students' own ${what}s; choose another name.`;
}
