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

/**
 * The sentence refusing a name in a student's namespace shape, or null when it is free. The instructor
 * may not make one (it would land in, or collide with, a student's namespace); a student may not
 * either, so that such a name from a student is never theirs (a subscription to it is refused as not
 * found) and nobody mistakes theirs for another student's.
 */
export function reservedForStudents(name: string, what: 'topic' | 'group'): string | null {
  if (!RESERVED.test(name)) return null;
  return `A ${what} name starting with "s-", six letters or digits and a "." or "_" is kept for the students' own ${what}s; choose another name.`;
}

/** Kafka's longest topic name. */
export const KAFKA_TOPIC_NAME_MAX = 249;

/** The longest topic name `who` may give: Kafka's 249, less the prefix a student's names get on the cluster. */
export function topicNameMax(who: Pick<Principal, 'id' | 'role'>): number {
  return who.role === 'student' ? KAFKA_TOPIC_NAME_MAX - studentPrefix(who.id).length : KAFKA_TOPIC_NAME_MAX;
}

/**
 * The cluster topic a caller's name means. The instructor's names are the cluster's. A student's name
 * is their own topic when it exists, else the instructor's shared topic of that name when that exists,
 * else their own (a name still to be created, or a 404 to say). A name in a student's shape is never
 * the instructor's, so another student's topic cannot be reached this way.
 */
export function resolveTopic(who: Pick<Principal, 'id' | 'role'>, name: string, exists: (clusterName: string) => boolean): string {
  const own = toClusterName(who, name);
  if (who.role === 'instructor' || exists(own)) return own;
  return ownerOfClusterName(name) === INSTRUCTOR_ID && exists(name) ? name : own;
}


/**
 * Whether a student's name has the shape of a name in a student's namespace (`s-abc123.x`): never one
 * of theirs, since nobody may create one (reservedForStudents), so it is answered as not found at once.
 */
export function outsideOwnNamespace(who: Pick<Principal, 'id' | 'role'>, name: string): boolean {
  return who.role === 'student' && RESERVED.test(name);
}
