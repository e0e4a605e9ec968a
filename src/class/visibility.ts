import type { EventScope } from '../timeline/timeline.types';
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
