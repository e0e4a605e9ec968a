import { INSTRUCTOR_ID, Principal } from './principal';

/**
 * Maps the names a caller uses (topics, groups) to the names on the cluster and back. The instructor's
 * names are the cluster's own and are shared with the class; students get their own namespace in a
 * later step, behind these same three functions.
 */
export function toClusterName(_who: Principal, name: string): string {
  return name;
}

/** The caller's name for a cluster name, or null when the caller may not see it. */
export function fromClusterName(_who: Principal, clusterName: string): string | null {
  return clusterName;
}

/** Whose a cluster topic or group is: the instructor's (shared) unless it lies in a student's namespace. */
export function ownerOfClusterName(_clusterName: string): string {
  return INSTRUCTOR_ID;
}
