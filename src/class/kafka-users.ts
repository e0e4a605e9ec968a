import { INSTRUCTOR_ID, Principal } from './principal';

/**
 * Who is who on the class listener: each student's SCRAM user is named after their namespace
 * (`s-<id>`, the prefix without its dot), the instructor's is `instructor`. The server's own clients
 * use the loopback listener without SASL, where Kafka calls them User:ANONYMOUS; that listener binds
 * 127.0.0.1 only, so only the server (and the instructor's shell on that machine) can be that principal.
 */
export const CLASS_SASL_MECHANISM = 'SCRAM-SHA-512';
export const INSTRUCTOR_KAFKA_USER = INSTRUCTOR_ID;

export function kafkaUserOf(who: Pick<Principal, 'id' | 'role'>): string {
  return who.role === 'instructor' ? INSTRUCTOR_KAFKA_USER : `s-${who.id}`;
}

/** Kafka's super.users: the server (loopback, ANONYMOUS) and the instructor. */
export const CLASS_SUPER_USERS = ['User:ANONYMOUS', `User:${INSTRUCTOR_KAFKA_USER}`] as const;
