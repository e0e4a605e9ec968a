import type { AclBinding, AclOperation } from '../../kafka/acl-admin';
import type { ClientQuotaAlteration, ClientQuotaKey } from '../../kafka/protocol';
import { INSTRUCTOR_ID } from '../principal';
import { ownerOfClusterName, studentPrefix } from '../namespace';

/**
 * The ACLs that isolate the class (StandardAuthorizer, allow.everyone.if.no.acl.found=false): a
 * student's user may do everything a client does with topics and groups under their own prefix, and
 * read and write the instructor's shared topics; nothing else, nothing cluster-wide. The server and
 * the instructor are super users and need none. Pure: the service applies them, the tests read them.
 */
export const STUDENT_TOPIC_OPERATIONS: readonly AclOperation[] = ['create', 'describe', 'read', 'write', 'delete', 'describe_configs'];
export const STUDENT_GROUP_OPERATIONS: readonly AclOperation[] = ['read', 'describe', 'delete'];
export const SHARED_TOPIC_OPERATIONS: readonly AclOperation[] = ['read', 'write', 'describe'];
export const EVERYONE = 'User:*';

/** A student's SCRAM user name: their prefix without its dot. */
export const STUDENT_KAFKA_USER = /^s-([a-z0-9]{6})$/;

export function principalOf(kafkaUser: string): string {
  return `User:${kafkaUser}`;
}

/** What student `id` may do: PREFIXED on `s-<id>.` for topics and groups. */
export function studentAcls(studentId: string): AclBinding[] {
  const principal = principalOf(`s-${studentId}`);
  const name = studentPrefix(studentId);
  const allow = { pattern: 'prefixed' as const, name, principal, host: '*', permission: 'allow' as const };
  return [
    ...STUDENT_TOPIC_OPERATIONS.map((operation) => ({ ...allow, resource: 'topic' as const, operation })),
    ...STUDENT_GROUP_OPERATIONS.map((operation) => ({ ...allow, resource: 'group' as const, operation })),
  ];
}

/** What everyone may do with the instructor's topic `topic` (LITERAL). */
export function sharedTopicAcls(topic: string): AclBinding[] {
  return SHARED_TOPIC_OPERATIONS.map((operation) => ({
    resource: 'topic' as const, pattern: 'literal' as const, name: topic, principal: EVERYONE, host: '*', operation, permission: 'allow' as const,
  }));
}

/** The instructor's topics the class shares: not Kafka's own (internal, `__…`), not in a student's namespace shape. */
export function isSharedTopic(name: string, internal = false): boolean {
  return !internal && !name.startsWith('__') && ownerOfClusterName(name) === INSTRUCTOR_ID;
}

/**
 * The ACLs the reconcile owns, and may delete when they are no longer wanted: any of a student user's
 * and the shared-topic kind for everyone. Others (an instructor's own, made with kafka-acls.sh) are
 * left alone.
 */
export function managedAcl(b: AclBinding): boolean {
  const user = b.principal.startsWith('User:') ? b.principal.slice('User:'.length) : null;
  if (user !== null && STUDENT_KAFKA_USER.test(user)) return true;
  return b.principal === EVERYONE && b.resource === 'topic' && b.pattern === 'literal' && b.permission === 'allow' && SHARED_TOPIC_OPERATIONS.includes(b.operation);
}

/**
 * Kafka's own limits on a student's user, for their own clients (kcat, kafka-*.sh): the API's quotas
 * (topics, partitions, message rates) never see those. Each is per broker and per second.
 * - producer_byte_rate / consumer_byte_rate 1 MiB/s: far above what a lab's exercises move, yet one
 *   student's `kcat -P` loop cannot fill the shared brokers' disks or starve the class's fetches
 *   (Kafka throttles the client, it does not fail it).
 * - controller_mutation_rate 10: partitions created, added or deleted per second; a script creating
 *   topics in a loop is throttled (THROTTLING_QUOTA_EXCEEDED) before it floods the controller.
 * The instructor's user (a super user for demonstrations) has none.
 */
export const STUDENT_CLIENT_QUOTAS: Readonly<Record<'producer_byte_rate' | 'consumer_byte_rate' | 'controller_mutation_rate', number>> = {
  producer_byte_rate: 1024 * 1024,
  consumer_byte_rate: 1024 * 1024,
  controller_mutation_rate: 10,
};

/** Sets the student's quotas on their user `s-<id>`. */
export function studentQuotas(studentId: string): ClientQuotaAlteration {
  return { entity: { user: `s-${studentId}` }, ops: { ...STUDENT_CLIENT_QUOTAS } };
}

/** Removes the class's quotas from `kafkaUser` (a removed student's). */
export function quotasRemoved(kafkaUser: string): ClientQuotaAlteration {
  const ops: Partial<Record<ClientQuotaKey, null>> = {};
  for (const key of Object.keys(STUDENT_CLIENT_QUOTAS) as ClientQuotaKey[]) ops[key] = null;
  return { entity: { user: kafkaUser }, ops };
}
