import type { EventScope } from '../timeline/timeline.types';
import { ownerOfClusterName } from './namespace';
import type { Principal } from './principal';

/**
 * Whether `who` may see something with this scope. The instructor sees everything; a student sees what
 * nobody owns (cluster, nodes, the instructor's shared topics) and what they own themselves. Pure, so
 * the HTTP timeline, the socket gateway and grading all decide the same way.
 */
export function canSee(who: Pick<Principal, 'id' | 'role'>, scope: Pick<EventScope, 'owner'> | undefined): boolean {
  if (who.role === 'instructor') return true;
  const owner = scope?.owner;
  return owner === undefined || owner === null || owner === '' || owner === who.id;
}

/**
 * Whether `who` may see a consumer group, by its cluster name: the instructor any; a student those of
 * their namespace (their API consumers' and their own Kafka clients'). Groups are never shared, not
 * even the instructor's: a student reads a shared topic in a group of their own.
 */
export function canSeeGroup(who: Pick<Principal, 'id' | 'role'>, clusterGroupId: string): boolean {
  return who.role === 'instructor' || ownerOfClusterName(clusterGroupId) === who.id;
}
