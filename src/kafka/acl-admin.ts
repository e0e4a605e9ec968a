import { Injectable } from '@nestjs/common';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { KAFKA_ERRORS, KafkaCodeError } from './kafka-error-codes';
import { KafkaService } from './kafka.service';

/**
 * Kafka's ACLs in the domain's words, over kafkajs's admin (CreateAcls / DescribeAcls / DeleteAcls v1:
 * Kafka 4.x raised the minimum of these to v1 (KIP-896) and kafkajs sends v1, so one client serves
 * 3.9 and 4.x; tried on both). Only the kinds the class listener uses: topics and groups, literal or
 * prefixed names, allow or deny.
 */
export type AclResource = 'topic' | 'group' | 'cluster';
export type AclPattern = 'literal' | 'prefixed';
export type AclOperation = 'all' | 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe' | 'describe_configs' | 'alter_configs' | 'idempotent_write';
export type AclPermission = 'allow' | 'deny';

/** One ACL: `principal` is e.g. `User:s-abc123` or `User:*`; `host` `*` for any. */
export interface AclBinding {
  resource: AclResource;
  name: string;
  pattern: AclPattern;
  principal: string;
  host: string;
  operation: AclOperation;
  permission: AclPermission;
}

/** What to match: a field left out matches anything. */
export interface AclBindingFilter {
  resource?: AclResource;
  name?: string;
  pattern?: AclPattern;
  principal?: string;
  host?: string;
  operation?: AclOperation;
  permission?: AclPermission;
}

const RESOURCE: Record<AclResource, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
};
const PATTERN: Record<AclPattern, ResourcePatternTypes> = {
  literal: ResourcePatternTypes.LITERAL,
  prefixed: ResourcePatternTypes.PREFIXED,
};
const OPERATION: Record<AclOperation, AclOperationTypes> = {
  all: AclOperationTypes.ALL,
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  delete: AclOperationTypes.DELETE,
  alter: AclOperationTypes.ALTER,
  describe: AclOperationTypes.DESCRIBE,
  describe_configs: AclOperationTypes.DESCRIBE_CONFIGS,
  alter_configs: AclOperationTypes.ALTER_CONFIGS,
  idempotent_write: AclOperationTypes.IDEMPOTENT_WRITE,
};
const PERMISSION: Record<AclPermission, AclPermissionTypes> = {
  allow: AclPermissionTypes.ALLOW,
  deny: AclPermissionTypes.DENY,
};

function nameOf<K extends string>(table: Record<K, number>, code: number): K | null {
  return (Object.keys(table) as K[]).find((k) => table[k] === code) ?? null;
}

/** The kafkajs entry of a binding (exported for the unit tests). */
export function toKafkaAcl(b: AclBinding) {
  return {
    resourceType: RESOURCE[b.resource],
    resourceName: b.name,
    resourcePatternType: PATTERN[b.pattern],
    principal: b.principal,
    host: b.host,
    operation: OPERATION[b.operation],
    permissionType: PERMISSION[b.permission],
  };
}

/** The kafkajs filter of a binding filter: what is left out matches any. */
export function toKafkaFilter(f: AclBindingFilter) {
  return {
    resourceType: f.resource ? RESOURCE[f.resource] : AclResourceTypes.ANY,
    ...(f.name !== undefined ? { resourceName: f.name } : {}),
    resourcePatternType: f.pattern ? PATTERN[f.pattern] : ResourcePatternTypes.ANY,
    ...(f.principal !== undefined ? { principal: f.principal } : {}),
    ...(f.host !== undefined ? { host: f.host } : {}),
    operation: f.operation ? OPERATION[f.operation] : AclOperationTypes.ANY,
    permissionType: f.permission ? PERMISSION[f.permission] : AclPermissionTypes.ANY,
  };
}

interface DescribedResource {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  acls: Array<{ principal: string; host: string; operation: number; permissionType: number }>;
}

/** Kafka's answer to DescribeAcls as bindings; kinds this lab never makes (e.g. transactional ids) are left out. */
export function fromDescribed(resources: readonly DescribedResource[]): AclBinding[] {
  const out: AclBinding[] = [];
  for (const r of resources) {
    const resource = nameOf(RESOURCE, r.resourceType);
    const pattern = nameOf(PATTERN, r.resourcePatternType);
    if (!resource || !pattern) continue;
    for (const a of r.acls) {
      const operation = nameOf(OPERATION, a.operation);
      const permission = nameOf(PERMISSION, a.permissionType);
      if (!operation || !permission) continue;
      out.push({ resource, name: r.resourceName, pattern, principal: a.principal, host: a.host, operation, permission });
    }
  }
  return out;
}

/** A binding as one comparable string (for set differences). */
export function aclKey(b: AclBinding): string {
  return [b.resource, b.pattern, b.name, b.principal, b.host, b.operation, b.permission].join('\u0000');
}

@Injectable()
export class AclAdmin {
  constructor(private readonly kafka: KafkaService) {}

  /** Adds the bindings (an existing one is left as it is). Nothing to add: no request. */
  async create(bindings: readonly AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    await (await this.kafka.aclAdmin()).createAcls({ acl: bindings.map(toKafkaAcl) });
  }

  /** The bindings matching `filter` (everything when empty). */
  async describe(filter: AclBindingFilter = {}): Promise<AclBinding[]> {
    const res = await (await this.kafka.aclAdmin()).describeAcls(toKafkaFilter(filter));
    // kafkajs throws on an error code and leaves it out of what it returns; a code that slips through still fails.
    if (res.errorCode != null && res.errorCode !== KAFKA_ERRORS.NONE) throw new KafkaCodeError(res.errorCode, res.errorMessage);
    return fromDescribed(res.resources);
  }

  /** Deletes every binding matching any filter; resolves with how many went. */
  async delete(filters: readonly AclBindingFilter[]): Promise<number> {
    if (filters.length === 0) return 0;
    const res = await (await this.kafka.aclAdmin()).deleteAcls({ filters: filters.map(toKafkaFilter) });
    let n = 0;
    for (const f of res.filterResponses) {
      if (f.errorCode != null && f.errorCode !== KAFKA_ERRORS.NONE) throw new KafkaCodeError(f.errorCode, f.errorMessage ?? undefined);
      n += f.matchingAcls.length;
    }
    return n;
  }

  /** Exactly these bindings (each as a literal filter). */
  deleteBindings(bindings: readonly AclBinding[]): Promise<number> {
    return this.delete(bindings.map((b) => ({ ...b })));
  }
}
