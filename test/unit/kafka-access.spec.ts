import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { AuthService } from '../../src/class/auth.service';
import { ClassSettingsService } from '../../src/class/class-settings.service';
import { STUDENT_CLIENT_QUOTAS, isSharedTopic, managedAcl, sharedTopicAcls, studentAcls } from '../../src/class/kafka-access/class-acls';
import { clientSettings } from '../../src/class/kafka-access/client-settings';
import { CLASS_LISTENER_OFF_SENTENCE, KafkaAccessService } from '../../src/class/kafka-access/kafka-access.service';
import { CLASS_KAFKA_KEY_FILE, ServerKeyError, kafkaPassword, loadOrCreateServerKey } from '../../src/class/kafka-access/kafka-password';
import { RosterStore } from '../../src/class/roster.store';
import { StudentsService } from '../../src/class/students.service';
import { hashToken } from '../../src/class/student-credentials';
import type { ClusterService } from '../../src/cluster/cluster.service';
import { LabError } from '../../src/common/lab-error';
import { LabConfig, loadConfig } from '../../src/config/lab-config';
import { AclAdmin, AclBinding, AclBindingFilter, aclKey, fromDescribed, toKafkaFilter } from '../../src/kafka/acl-admin';
import type { KafkaService } from '../../src/kafka/kafka.service';
import type { ClientQuotaAlteration, ScramDeletion, ScramUpsertion } from '../../src/kafka/protocol';
import { saltPassword } from '../../src/kafka/protocol/scram-credentials';
import { LabDatabase } from '../../src/timeline/lab-database';
import { LiveBus } from '../../src/timeline/live-bus';
import { TimelineService } from '../../src/timeline/timeline.service';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-access-'));

describe('class Kafka passwords', () => {
  it('makes the server key once (32 bytes, mode 0600) and keeps it', () => {
    const dir = tmp();
    try {
      const a = loadOrCreateServerKey(dir);
      const file = path.join(dir, CLASS_KAFKA_KEY_FILE);
      expect(a).toHaveLength(32);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(loadOrCreateServerKey(dir).equals(a)).toBe(true);
      fs.writeFileSync(file, 'short');
      expect(() => loadOrCreateServerKey(dir)).toThrow(ServerKeyError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives the password from the key and the token hash only: another token or key, another password', () => {
    const key = Buffer.alloc(32, 7);
    const p = kafkaPassword(key, hashToken('t1'));
    expect(p).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(kafkaPassword(key, hashToken('t1'))).toBe(p);
    expect(kafkaPassword(key, hashToken('t2'))).not.toBe(p);
    expect(kafkaPassword(Buffer.alloc(32, 8), hashToken('t1'))).not.toBe(p);
  });
});

describe('class ACLs', () => {
  it('a student: PREFIXED topic and group ACLs on their namespace, nothing cluster-wide', () => {
    const acls = studentAcls('abc123');
    expect(acls.every((a) => a.principal === 'User:s-abc123' && a.pattern === 'prefixed' && a.name === 's-abc123.' && a.host === '*' && a.permission === 'allow')).toBe(true);
    expect(acls.filter((a) => a.resource === 'topic').map((a) => a.operation)).toEqual(['create', 'describe', 'read', 'write', 'delete', 'describe_configs']);
    expect(acls.filter((a) => a.resource === 'group').map((a) => a.operation)).toEqual(['read', 'describe', 'delete']);
    expect(acls.some((a) => a.resource === 'cluster')).toBe(false);
  });

  it('shared topics: LITERAL read, write and describe for everyone, on the instructor\'s topics only', () => {
    expect(sharedTopicAcls('news').map((a) => [a.resource, a.pattern, a.name, a.principal, a.operation])).toEqual([
      ['topic', 'literal', 'news', 'User:*', 'read'], ['topic', 'literal', 'news', 'User:*', 'write'], ['topic', 'literal', 'news', 'User:*', 'describe'],
    ]);
    expect(isSharedTopic('news')).toBe(true);
    expect(isSharedTopic('s-abc123.orders')).toBe(false);
    expect(isSharedTopic('__consumer_offsets')).toBe(false);
    expect(isSharedTopic('payments', true)).toBe(false);
  });

  it('the reconcile owns student users\' ACLs and the shared kind, not an instructor\'s own', () => {
    expect(studentAcls('abc123').every(managedAcl)).toBe(true);
    expect(sharedTopicAcls('news').every(managedAcl)).toBe(true);
    const own: AclBinding = { resource: 'topic', pattern: 'literal', name: 'news', principal: 'User:alice', host: '*', operation: 'read', permission: 'allow' };
    expect(managedAcl(own)).toBe(false);
    expect(managedAcl({ ...own, principal: 'User:*', operation: 'alter' })).toBe(false);
  });

  it('maps filters and described ACLs to kafkajs\'s codes and back', () => {
    expect(toKafkaFilter({ principal: 'User:s-abc123' })).toEqual({ resourceType: 1, resourcePatternType: 1, principal: 'User:s-abc123', operation: 1, permissionType: 1 });
    expect(toKafkaFilter({ resource: 'group', pattern: 'prefixed', name: 's-x.', operation: 'read', permission: 'allow' }))
      .toEqual({ resourceType: 3, resourceName: 's-x.', resourcePatternType: 4, operation: 3, permissionType: 3 });
    // As kafkajs returned it from a 4.4 broker (one prefixed WRITE), plus a transactional id ACL this lab never makes.
    expect(fromDescribed([
      { resourceType: 2, resourceName: 's-abc123.', resourcePatternType: 4, acls: [{ principal: 'User:s-abc123', host: '*', operation: 4, permissionType: 3 }] },
      { resourceType: 5, resourceName: 'tx', resourcePatternType: 3, acls: [{ principal: 'User:x', host: '*', operation: 4, permissionType: 3 }] },
    ])).toEqual([{ resource: 'topic', name: 's-abc123.', pattern: 'prefixed', principal: 'User:s-abc123', host: '*', operation: 'write', permission: 'allow' }]);
  });
});

describe('client settings (GET /api/me/kafka)', () => {
  const base = { publicHost: 'lab.example.org', ports: [9122, 9123], username: 's-abc123', password: 'pw_-1', prefix: 's-abc123.' };

  it('plaintext SASL: bootstrap list, a kcat line and client.properties with the prefix', () => {
    const s = clientSettings({ ...base, tls: false });
    expect(s).toMatchObject({ bootstrapServers: 'lab.example.org:9122,lab.example.org:9123', securityProtocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', username: 's-abc123', password: 'pw_-1', prefix: 's-abc123.' });
    expect(s.caUrl).toBeUndefined();
    expect(s.kcat).toBe('kcat -b lab.example.org:9122,lab.example.org:9123 -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=s-abc123 -X sasl.password=pw_-1 -L');
    expect(s.clientProperties).toContain('bootstrap.servers=lab.example.org:9122,lab.example.org:9123\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n');
    expect(s.clientProperties).toContain('sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="s-abc123" password="pw_-1";\n');
    expect(s.clientProperties).toContain('--group s-abc123.');
    expect(s.clientProperties).not.toContain('ssl.');
  });

  it('TLS: SASL_SSL, the CA\'s URL and file in both lines; an IPv6 host in brackets; the instructor has no prefix', () => {
    const s = clientSettings({ ...base, publicHost: '::1', tls: true, username: 'instructor', prefix: '' });
    expect(s.bootstrapServers).toBe('[::1]:9122,[::1]:9123');
    expect(s.securityProtocol).toBe('SASL_SSL');
    expect(s.caUrl).toBe('/api/class/ca.pem');
    expect(s.kcat).toContain('-X security.protocol=SASL_SSL');
    expect(s.kcat).toContain('-X ssl.ca.location=ca.pem -L');
    expect(s.clientProperties).toContain('ssl.truststore.type=PEM\nssl.truststore.location=ca.pem\n');
    expect(s.clientProperties).not.toContain('must start with');
  });
});

/** A cluster's SCRAM users and ACLs in memory, behind the calls KafkaAccessService makes. */
class FakeKafka {
  users = new Map<string, { salt: Buffer; salted: Buffer }>();
  topics: Array<{ name: string; isInternal: boolean }> = [];
  acls = new Map<string, AclBinding>();
  /** user → quota key → value */
  quotas = new Map<string, Record<string, number>>();
  down = false;

  private check() {
    if (this.down) throw new Error('broker 127.0.0.1:9092 refused the connection (it is not running)');
  }

  kafka = {
    alterScramCredentials: async (c: { deletions?: readonly ScramDeletion[]; upsertions?: readonly ScramUpsertion[] }) => {
      this.check();
      const out = [];
      for (const d of c.deletions ?? []) {
        out.push({ user: d.user, errorCode: this.users.delete(d.user) ? 0 : 91, errorMessage: null });
      }
      for (const u of c.upsertions ?? []) {
        this.users.set(u.user, { salt: u.salt, salted: u.saltedPassword });
        out.push({ user: u.user, errorCode: 0, errorMessage: null });
      }
      return out;
    },
    alterClientQuotas: async (alterations: readonly ClientQuotaAlteration[]) => {
      this.check();
      return alterations.map((a) => {
        const user = a.entity.user!;
        const q = { ...(this.quotas.get(user) ?? {}) };
        for (const [k, v] of Object.entries(a.ops)) {
          if (v === null) delete q[k];
          else q[k] = v!;
        }
        if (Object.keys(q).length) this.quotas.set(user, q);
        else this.quotas.delete(user);
        return { entity: a.entity, errorCode: 0, errorMessage: null };
      });
    },
    describeScramCredentials: async () => {
      this.check();
      return [...this.users.keys()].map((user) => ({ user, errorCode: 0, errorMessage: null, credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }));
    },
    metadata: async () => {
      this.check();
      return { brokers: [], controllerId: null, clusterId: null, topics: this.topics.map((t) => ({ ...t, topicId: '', errorCode: 0, partitions: [] })) };
    },
  };

  aclAdmin = {
    create: async (bs: readonly AclBinding[]) => {
      this.check();
      for (const b of bs) this.acls.set(aclKey(b), b);
    },
    describe: async () => {
      this.check();
      return [...this.acls.values()];
    },
    delete: async (filters: readonly AclBindingFilter[]) => {
      this.check();
      let n = 0;
      for (const [k, b] of this.acls) {
        if (filters.some((f) => (Object.keys(f) as Array<keyof AclBindingFilter>).every((field) => f[field] === undefined || f[field] === b[field]))) {
          this.acls.delete(k);
          n++;
        }
      }
      return n;
    },
    deleteBindings: async (bs: readonly AclBinding[]) => this.aclAdmin.delete(bs),
  };

  /** Whether `password` signs `user` in (the salted password Kafka keeps matches). */
  signsIn(user: string, password: string): boolean {
    const u = this.users.get(user);
    return !!u && saltPassword(password, u.salt, 4096, 'SCRAM-SHA-512').equals(u.salted);
  }
}

describe('KafkaAccessService', () => {
  let dir: string;
  let db: LabDatabase;
  let students: StudentsService;
  let auth: AuthService;
  let timeline: TimelineService;
  let settings: ClassSettingsService;
  let fake: FakeKafka;
  let access: KafkaAccessService;
  let config: LabConfig;

  let clusterState = 'running';
  const cluster = { view: () => ({ state: clusterState, brokers: [{ id: 0 }, { id: 2 }, { id: 1 }] }) } as unknown as ClusterService;

  const open = (env: Record<string, string> = { LAB_KAFKA_PUBLIC_HOST: 'lab.example.org' }) => {
    config = loadConfig({ LAB_DATA_DIR: dir, LAB_INSTRUCTOR_TOKEN: 'instructor-secret', LAB_KAFKA_PORT_BASE: '9092', ...env });
    db = new LabDatabase(config);
    const store = new RosterStore(db);
    const bus = new LiveBus();
    timeline = new TimelineService(db, bus);
    auth = new AuthService(config, store);
    auth.onModuleInit();
    settings = new ClassSettingsService(store, timeline);
    students = new StudentsService(store, auth, settings, timeline);
    fake = new FakeKafka();
    access = new KafkaAccessService(config, fake.kafka as unknown as KafkaService, fake.aclAdmin as unknown as AclAdmin, students, auth, cluster, bus);
    access.onModuleInit();
  };
  const passwordOf = (token: string) => kafkaPassword(loadOrCreateServerKey(dir), hashToken(token));
  let info: jest.SpyInstance;
  let warn: jest.SpyInstance;
  let debug: jest.SpyInstance;

  beforeAll(() => {
    info = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => {
    clusterState = 'running';
    info.mockClear();
    warn.mockClear();
    debug.mockClear();
    dir = tmp();
    open();
  });
  afterEach(() => {
    access.onModuleDestroy();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a join or an add answers once the student\'s user and ACLs are on the cluster', async () => {
    const [ada, bob] = await students.add(['Ada', 'Bob'], 'instructor');
    expect(fake.signsIn(`s-${ada.id}`, passwordOf(ada.token))).toBe(true);
    expect(fake.signsIn(`s-${bob.id}`, passwordOf(ada.token))).toBe(false);
    expect([...fake.acls.values()].filter((a) => a.principal === `User:s-${ada.id}`)).toHaveLength(9);
    // Kafka's own limits for their own clients, which the API's quotas never see.
    expect(fake.quotas.get(`s-${ada.id}`)).toEqual({ producer_byte_rate: 1048576, consumer_byte_rate: 1048576, controller_mutation_rate: 10 });
    expect(fake.quotas.get(`s-${bob.id}`)).toEqual(STUDENT_CLIENT_QUOTAS);
    expect(fake.quotas.has('instructor')).toBe(false);
    const eve = await students.join(settings.get().joinCode, 'Eve', '10.0.0.1');
    expect(fake.signsIn(`s-${eve.id}`, passwordOf(eve.token))).toBe(true);
  });

  it('GET /api/me/kafka: each caller\'s own user and password, the class ports of every broker', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    const s = access.settingsFor({ id: ada.id, name: 'Ada', role: 'student' });
    expect(s.bootstrapServers).toBe('lab.example.org:9122,lab.example.org:9123,lab.example.org:9124');
    expect(s).toMatchObject({ username: `s-${ada.id}`, password: passwordOf(ada.token), prefix: `s-${ada.id}.`, securityProtocol: 'SASL_PLAINTEXT' });
    const i = access.settingsFor({ id: 'instructor', name: 'Instructor', role: 'instructor' });
    expect(i).toMatchObject({ username: 'instructor', password: passwordOf('instructor-secret'), prefix: '' });
  });

  it('a new token is a new Kafka password: the old one stops signing in', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    const again = await students.reissue(ada.id, 'instructor');
    expect(fake.signsIn(`s-${ada.id}`, passwordOf(ada.token))).toBe(false);
    expect(fake.signsIn(`s-${ada.id}`, passwordOf(again.token))).toBe(true);
  });

  it('a removal deletes the student\'s ACLs and user before it answers, and nobody else\'s', async () => {
    const [ada, bob] = await students.add(['Ada', 'Bob'], 'instructor');
    await students.markRemoved(students.active(bob.id));
    expect(fake.users.has(`s-${bob.id}`)).toBe(false);
    expect([...fake.acls.values()].some((a) => a.principal === `User:s-${bob.id}`)).toBe(false);
    expect(fake.quotas.has(`s-${bob.id}`)).toBe(false);
    expect(fake.quotas.has(`s-${ada.id}`)).toBe(true);
    expect(fake.signsIn(`s-${ada.id}`, passwordOf(ada.token))).toBe(true);
    expect([...fake.acls.values()].filter((a) => a.principal === `User:s-${ada.id}`)).toHaveLength(9);
  });

  it('Kafka down: the join still answers (logged), and the next cluster.started catches up', async () => {
    fake.down = true;
    const [ada] = await students.add(['Ada'], 'instructor');
    expect(fake.users.size).toBe(0);
    fake.down = false;
    fake.topics = [{ name: 'news', isInternal: false }, { name: '__consumer_offsets', isInternal: true }, { name: `s-${ada.id}.orders`, isInternal: false }];
    timeline.publish({ type: 'cluster.started', actor: 'system', brokers: 3, controllers: 1 });
    await access.whenIdle();
    expect(fake.signsIn(`s-${ada.id}`, passwordOf(ada.token))).toBe(true);
    expect(fake.signsIn('instructor', passwordOf('instructor-secret'))).toBe(true);
    const topics = new Set([...fake.acls.values()].filter((a) => a.principal === 'User:*').map((a) => a.name));
    expect([...topics]).toEqual(['news']);
  });

  it('the reconcile removes users and ACLs of students no longer in the class and of deleted shared topics, and leaves others alone', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    fake.users.set('s-gone00', { salt: Buffer.alloc(1), salted: Buffer.alloc(1) });
    fake.quotas.set('s-gone00', { ...STUDENT_CLIENT_QUOTAS });
    fake.quotas.delete(`s-${ada.id}`);
    fake.users.set('alice', { salt: Buffer.alloc(1), salted: Buffer.alloc(1) });
    await fake.aclAdmin.create([...studentAcls('gone00'), ...sharedTopicAcls('old-news')]);
    const own: AclBinding = { resource: 'topic', pattern: 'literal', name: 'news', principal: 'User:alice', host: '*', operation: 'read', permission: 'allow' };
    await fake.aclAdmin.create([own]);
    fake.topics = [{ name: 'news', isInternal: false }];
    const r = await access.reconcileNow();
    expect(r).toEqual({ users: 2, usersDeleted: 1, aclsCreated: 3, aclsDeleted: 12 });
    expect([...fake.users.keys()].sort()).toEqual(['alice', 'instructor', `s-${ada.id}`].sort());
    expect([...fake.quotas.keys()]).toEqual([`s-${ada.id}`]);
    const left = [...fake.acls.values()];
    expect(left).toContainEqual(own);
    expect(left.some((a) => a.principal === 'User:s-gone00' || a.name === 'old-news')).toBe(false);
    expect((await access.reconcileNow()).aclsCreated + (await access.reconcileNow()).aclsDeleted).toBe(0);
  });

  it('the instructor\'s topics created and deleted through the API get and lose the class\'s ACLs; a student\'s do not', async () => {
    timeline.publish({ type: 'topic.created', actor: 'instructor', topic: 'news', partitions: 1, replicationFactor: 1 });
    timeline.publish({ type: 'topic.created', actor: 'abc123', topic: 's-abc123.orders', partitions: 1, replicationFactor: 1 });
    await access.whenIdle();
    expect([...fake.acls.values()].map((a) => `${a.name}:${a.operation}`)).toEqual(['news:read', 'news:write', 'news:describe']);
    timeline.publish({ type: 'topic.deleted', actor: 'instructor', topic: 'news', partitions: 1, replicationFactor: 1 });
    await access.whenIdle();
    expect(fake.acls.size).toBe(0);
  });

  describe('with the retry clock', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
    afterEach(() => jest.useRealTimers());
    /** Lets `ms` of the retry clock pass, then waits for what it queued. */
    const pass = async (ms: number) => {
      await jest.advanceTimersByTimeAsync(ms);
      await access.whenIdle();
    };
    const inStep = () => info.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('in step with the class'));

    it('a reset that ends degraded (no cluster.started) still gets every user and ACL once the cluster answers', async () => {
      const [ada] = await students.add(['Ada'], 'instructor');
      expect(fake.signsIn(`s-${ada.id}`, passwordOf(ada.token))).toBe(true);
      // The reset wipes the cluster; its nodes are still starting.
      clusterState = 'starting';
      fake.users.clear();
      fake.acls.clear();
      timeline.publish({ type: 'cluster.reset', actor: 'instructor', brokers: 3, controllers: 1 });
      await pass(15_000);
      expect(fake.users.size).toBe(0);
      // Two brokers serve, one failed: degraded, and no cluster.started. A broker's node.started brings the retry within a second.
      clusterState = 'degraded';
      timeline.publish({ type: 'node.started', actor: 'system', nodeId: 0, role: 'broker' });
      timeline.publish({ type: 'node.started', actor: 'system', nodeId: 1, role: 'broker' });
      await pass(1_000);
      expect(fake.signsIn(`s-${ada.id}`, passwordOf(ada.token))).toBe(true);
      expect(fake.signsIn('instructor', passwordOf('instructor-secret'))).toBe(true);
      expect([...fake.acls.values()].filter((a) => a.principal === `User:s-${ada.id}`)).toHaveLength(9);
      expect(inStep()).toHaveLength(1);
      expect(inStep()[0]).toContain('(catching up)');
      // In step: a later broker start brings no reconcile.
      timeline.publish({ type: 'node.started', actor: 'system', nodeId: 2, role: 'broker' });
      await pass(20_000);
      expect(inStep()).toHaveLength(1);
    });

    it('a reset that ends degraded is caught up by the retry alone too (no node event needed)', async () => {
      const [ada] = await students.add(['Ada'], 'instructor');
      fake.users.clear();
      fake.acls.clear();
      clusterState = 'degraded';
      timeline.publish({ type: 'cluster.reset', actor: 'instructor' });
      await pass(15_000);
      expect(fake.signsIn(`s-${ada.id}`, passwordOf(ada.token))).toBe(true);
    });

    it('a boot before the cluster runs: no call and no warning; its cluster.started installs everything, once', async () => {
      clusterState = 'stopped';
      fake.down = true;
      access.onApplicationBootstrap();
      await pass(30_000);
      expect(warn).not.toHaveBeenCalled();
      fake.down = false;
      clusterState = 'running';
      timeline.publish({ type: 'node.started', actor: 'system', nodeId: 0, role: 'broker' });
      timeline.publish({ type: 'cluster.started', actor: 'system' });
      await pass(20_000);
      expect(fake.signsIn('instructor', passwordOf('instructor-secret'))).toBe(true);
      // The broker's node.started brought the retry, the cluster.started a reconcile: one ran, for both.
      expect(inStep()).toHaveLength(1);
    });

    it('a boot with the cluster running reconciles at once', async () => {
      access.onApplicationBootstrap();
      await access.whenIdle();
      expect(fake.signsIn('instructor', passwordOf('instructor-secret'))).toBe(true);
      expect(inStep()[0]).toContain('(boot)');
    });

    it('a failing reconcile warns once with the reason, retries at debug, and says when it caught up', async () => {
      fake.down = true;
      timeline.publish({ type: 'cluster.started', actor: 'system' });
      await access.whenIdle();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain('could not be put in step with the class (cluster.started): broker 127.0.0.1:9092 refused the connection');
      await pass(15_000);
      await pass(15_000);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(debug.mock.calls.filter(([m]) => String(m).includes('(catching up)'))).toHaveLength(2);
      fake.down = false;
      await pass(15_000);
      expect(fake.signsIn('instructor', passwordOf('instructor-secret'))).toBe(true);
      expect(inStep()).toHaveLength(1);
      expect(inStep()[0]).toContain('It had failed 3 time(s) since');
      // A new failure later is a new run: a warning again.
      fake.down = true;
      timeline.publish({ type: 'cluster.started', actor: 'system' });
      await access.whenIdle();
      expect(warn).toHaveBeenCalledTimes(2);
    });
  });

  it('class listener off: no hooks, no Kafka calls, 404 with a sentence', async () => {
    access.onModuleDestroy();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
    dir = tmp();
    const listen = jest.spyOn(LiveBus.prototype, 'on');
    try {
      open({});
      // Not listening to the timeline at all: nothing a cluster event could start.
      expect(listen).not.toHaveBeenCalled();
    } finally {
      listen.mockRestore();
    }
    await students.add(['Ada'], 'instructor');
    timeline.publish({ type: 'cluster.started', actor: 'system' });
    expect(fake.users.size + fake.acls.size).toBe(0);
    expect(fs.existsSync(path.join(dir, CLASS_KAFKA_KEY_FILE))).toBe(false);
    let err: unknown;
    try {
      access.settingsFor({ id: 'instructor', name: 'Instructor', role: 'instructor' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).status).toBe(404);
    expect((err as LabError).message).toBe(CLASS_LISTENER_OFF_SENTENCE);
  });
});
