import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { notFound } from '../../common/lab-error';
import { ClusterService } from '../../cluster/cluster.service';
import { ClassListenerConfig, LAB_CONFIG, LabConfig, PORT_LAYOUT } from '../../config/lab-config';
import { AclAdmin, AclBinding, aclKey } from '../../kafka/acl-admin';
import { KAFKA_ERRORS } from '../../kafka/kafka-error-codes';
import { KafkaService } from '../../kafka/kafka.service';
import { ClientQuotaAlteration, ScramUpsertion, scramUpsertion } from '../../kafka/protocol';
import type { LabEvent } from '../../timeline/events';
import { LiveBus } from '../../timeline/live-bus';
import { AuthService } from '../auth.service';
import { CLASS_SASL_MECHANISM, INSTRUCTOR_KAFKA_USER, kafkaUserOf } from '../kafka-users';
import { studentPrefix } from '../namespace';
import { Principal } from '../principal';
import type { StudentRow } from '../roster.store';
import { StudentKafkaHooks, StudentsService } from '../students.service';
import { STUDENT_KAFKA_USER, isSharedTopic, managedAcl, principalOf, quotasRemoved, sharedTopicAcls, studentAcls, studentQuotas } from './class-acls';
import { KafkaClientSettings, clientSettings } from './client-settings';
import { kafkaPassword, loadOrCreateServerKey } from './kafka-password';

export const CLASS_LISTENER_OFF_SENTENCE =
  'The class listener is off, so there are no Kafka credentials to give: the server starts it when LAB_KAFKA_PUBLIC_HOST names the host or address students reach it by (and LAB_KAFKA_TLS=true adds TLS).';

/** How long a join, an add or a new token waits for Kafka before it answers anyway (the reconcile catches up). */
const HOOK_BUDGET_MS = 10_000;
/** How often a reconcile is tried again after one failed (or a hook could not reach Kafka). */
const RETRY_MS = 15_000;
/** How soon a broker that started while behind brings the retry (several starting together make one). */
const BROKER_STARTED_RETRY_MS = 1_000;

/**
 * The class listener's users and ACLs, kept in step with the roster: each student's SCRAM user
 * (`s-<id>`, password derived from their token's hash) with PREFIXED ACLs on their namespace, the
 * instructor's user (a super user), and LITERAL ACLs for everyone on the instructor's shared topics.
 * Changes to Kafka run one at a time, so a removal cannot be undone by a reconcile that read the
 * roster before it. Does nothing at all while the class listener is off.
 */
@Injectable()
export class KafkaAccessService implements StudentKafkaHooks, OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('KafkaAccess');
  private readonly listener: ClassListenerConfig | null;
  private serverKey: Buffer | null = null;
  /** The tail of the queue of changes to Kafka. */
  private chain: Promise<unknown> = Promise.resolve();
  /** A change failed (or was not tried), or the cluster was wiped: the next reconcile is due. */
  private behind = false;
  /** Counts the times the service fell behind, so a reconcile that began before the last one does not clear it. */
  private behindMarks = 0;
  /** When the current run of failed reconciles began and how many there were (null: none failing). */
  private failing: { since: number; tries: number } | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDue = 0;
  /** A reconcile is queued and has not begun yet. */
  private reconcileWaiting = false;
  /** A reconcile is running: when it ends it clears `behind` or schedules the retry itself. */
  private reconcileRunning = false;
  private offBus: (() => void) | null = null;
  private closed = false;

  constructor(
    @Inject(LAB_CONFIG) private readonly config: LabConfig,
    private readonly kafka: KafkaService,
    private readonly acls: AclAdmin,
    private readonly students: StudentsService,
    private readonly auth: AuthService,
    private readonly cluster: ClusterService,
    private readonly bus: LiveBus,
  ) {
    this.listener = config.classListener;
  }

  onModuleInit(): void {
    if (!this.listener) return;
    this.serverKey = loadOrCreateServerKey(this.config.dataDir);
    this.students.useKafkaAccess(this);
    this.offBus = this.bus.on('event', (ev) => this.onEvent(ev));
  }

  onApplicationBootstrap(): void {
    // A cluster already running gets its users now. One not running yet gets them at its
    // cluster.started, or from the retry if it ends degraded (no warning for a cluster not started yet).
    if (!this.listener) return;
    if (this.clusterMayAnswer()) this.reconcileSoon('boot');
    else {
      this.markBehind();
      this.scheduleRetry();
    }
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.offBus?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  get enabled(): boolean {
    return this.listener !== null;
  }

  // ---- GET /api/me/kafka -------------------------------------------------------------------------

  /** What `who`'s own Kafka clients need; 404 with a sentence while the class listener is off. */
  settingsFor(who: Principal): KafkaClientSettings {
    if (!this.listener || !this.serverKey) throw notFound(CLASS_LISTENER_OFF_SENTENCE);
    const username = kafkaUserOf(who);
    return clientSettings({
      publicHost: this.listener.publicHost,
      ports: this.brokerIds().map((i) => this.config.kafkaPortBase + PORT_LAYOUT.classListenerOffset + i),
      tls: this.listener.tls,
      username,
      password: this.passwordOf(who),
      prefix: who.role === 'student' ? studentPrefix(who.id) : '',
    });
  }

  private brokerIds(): number[] {
    const ids = this.cluster.view().brokers.map((b) => b.id);
    return ids.length ? ids.sort((a, b) => a - b) : Array.from({ length: this.config.brokers }, (_, i) => i);
  }

  private passwordOf(who: Pick<Principal, 'id' | 'role'>): string {
    const hash = who.role === 'instructor' ? this.auth.instructorTokenHash() : this.students.active(who.id).tokenHash;
    return kafkaPassword(this.serverKey!, hash);
  }

  // ---- hooks from the roster ---------------------------------------------------------------------

  admitted(rows: readonly StudentRow[]): Promise<void> {
    return this.hook(`the Kafka user of ${names(rows)}`, async () => {
      await this.upsertUsers(rows.map((r) => ({ user: `s-${r.id}`, tokenHash: r.tokenHash })));
      await this.acls.create(rows.flatMap((r) => studentAcls(r.id)));
      await this.alterQuotas(rows.map((r) => studentQuotas(r.id)));
    });
  }

  tokenChanged(row: StudentRow): Promise<void> {
    return this.hook(`the new Kafka password of ${row.name} (${row.id})`, () => this.upsertUsers([{ user: `s-${row.id}`, tokenHash: row.tokenHash }]));
  }

  removed(row: StudentRow): Promise<void> {
    return this.hook(`the removal of ${row.name} (${row.id})'s Kafka user`, async () => {
      // The ACLs first: an open connection of theirs is refused from now on, before its re-authentication fails.
      await this.acls.delete([{ principal: principalOf(`s-${row.id}`) }]);
      // Before the user: if this fails, the user is still there for the reconcile to find and remove with its quotas.
      await this.alterQuotas([quotasRemoved(`s-${row.id}`)]);
      await this.deleteUsers([`s-${row.id}`]);
    });
  }

  /**
   * Runs `change` in the queue; resolves when it is done, failed (logged; the reconcile catches up)
   * or out of time (it goes on in the queue). Never rejects.
   */
  private hook(what: string, change: () => Promise<void>): Promise<void> {
    const done = this.enqueue(change).catch((e) => {
      this.markBehind();
      this.log.warn(`Kafka could not take ${what} now (${(e as Error).message}); it is tried again when the cluster is ready.`);
      this.scheduleRetry();
    });
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.log.warn(`Kafka has not taken ${what} within ${HOOK_BUDGET_MS / 1000} s; answering without waiting longer.`);
        resolve();
      }, HOOK_BUDGET_MS);
      t.unref?.();
      void done.then(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Resolves once every change queued so far, and any queued while waiting, has ended (done or failed). */
  async whenIdle(): Promise<void> {
    for (let tail = this.chain; ; tail = this.chain) {
      await tail;
      if (tail === this.chain) return;
    }
  }

  private enqueue<T>(change: () => Promise<T>): Promise<T> {
    const run = this.chain.then(change, change);
    this.chain = run.catch(() => undefined);
    return run;
  }

  // ---- the timeline: cluster ready, shared topics -----------------------------------------------

  private onEvent(ev: LabEvent): void {
    if (this.closed) return;
    if (ev.type === 'cluster.started') this.reconcileSoon('cluster.started');
    else if (ev.type === 'cluster.reset') {
      // The wiped cluster has no SCRAM users or ACLs. A reset that ends degraded publishes no
      // cluster.started, so the retry (which waits for running or degraded) installs them.
      this.markBehind();
      this.scheduleRetry();
    } else if (ev.type === 'node.started' && ev.role === 'broker' && this.behind) this.scheduleRetry(BROKER_STARTED_RETRY_MS);
    else if (ev.type === 'topic.created' && isSharedTopic(ev.topic)) void this.shared(ev.topic, 'create');
    else if (ev.type === 'topic.deleted' && isSharedTopic(ev.topic)) void this.shared(ev.topic, 'delete');
  }

  private shared(topic: string, change: 'create' | 'delete'): Promise<void> {
    return this.hook(`the class's access to topic ${topic}`, async () => {
      if (change === 'create') await this.acls.create(sharedTopicAcls(topic));
      else await this.acls.deleteBindings(sharedTopicAcls(topic));
    });
  }

  private markBehind(): void {
    this.behind = true;
    this.behindMarks++;
  }

  private reconcileSoon(why: string): void {
    // One waiting in the queue reads the roster and the cluster when it begins: it does this one's work too.
    if (this.closed || this.reconcileWaiting) return;
    this.reconcileWaiting = true;
    let began = 0;
    let marks = 0;
    this.enqueue(() => {
      this.reconcileWaiting = false;
      this.reconcileRunning = true;
      began = Date.now();
      marks = this.behindMarks;
      return this.reconcileNow();
    }).then(
      (r) => {
        this.reconcileRunning = false;
        // Fell behind again meanwhile (a reset wiped the cluster during this reconcile): still due.
        if (this.behindMarks === marks) this.behind = false;
        const caughtUp = this.failing
          ? ` It had failed ${this.failing.tries} time(s) since ${new Date(this.failing.since).toISOString()}; caught up.`
          : '';
        this.failing = null;
        this.log.log(`Kafka users and ACLs in step with the class (${why}) in ${Date.now() - began} ms: ${r.users} user(s) installed, ${r.usersDeleted} removed; ${r.aclsCreated} ACL(s) added, ${r.aclsDeleted} removed.${caughtUp}`);
        if (this.behind) this.scheduleRetry();
      },
      (e) => {
        this.reconcileRunning = false;
        this.markBehind();
        const sentence = `The Kafka users and ACLs could not be put in step with the class (${why}): ${(e as Error).message}`;
        // The first failure of a run is a warning (students' kcat may be refused until it catches up); the retries are debug.
        if (!this.failing) {
          this.failing = { since: Date.now(), tries: 1 };
          this.log.warn(`${sentence}. Tried again every ${RETRY_MS / 1000} s while the cluster is running or degraded.`);
        } else {
          this.failing.tries++;
          this.log.debug(sentence);
        }
        this.scheduleRetry();
      },
    );
  }

  /** A retry in `ms` (sooner replaces later; a later one leaves a sooner one be). */
  private scheduleRetry(ms = RETRY_MS): void {
    if (this.closed) return;
    if (this.retryTimer) {
      if (this.retryDue <= Date.now() + ms) return;
      clearTimeout(this.retryTimer);
    }
    this.retryDue = Date.now() + ms;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.reconcileRunning) return;
      if (this.behind && this.clusterMayAnswer()) this.reconcileSoon('catching up');
      else if (this.behind) this.scheduleRetry();
    }, ms);
    this.retryTimer.unref?.();
  }

  private clusterMayAnswer(): boolean {
    const state = this.cluster.view().state;
    return state === 'running' || state === 'degraded';
  }

  /**
   * Every current principal's credential upserted, SCRAM users of students no longer in the class
   * deleted, and the managed ACLs made exactly what the class and the shared topics need.
   */
  async reconcileNow(): Promise<{ users: number; usersDeleted: number; aclsCreated: number; aclsDeleted: number }> {
    const rows = this.students.inClass();
    await this.upsertUsers([
      { user: INSTRUCTOR_KAFKA_USER, tokenHash: this.auth.instructorTokenHash() },
      ...rows.map((r) => ({ user: `s-${r.id}`, tokenHash: r.tokenHash })),
    ]);
    const inClass = new Set(rows.map((r) => `s-${r.id}`));
    const gone = (await this.kafka.describeScramCredentials(null)).map((u) => u.user).filter((u) => STUDENT_KAFKA_USER.test(u) && !inClass.has(u));
    await this.alterQuotas([...rows.map((r) => studentQuotas(r.id)), ...gone.map(quotasRemoved)]);
    await this.deleteUsers(gone);

    const md = await this.kafka.metadata();
    const shared = md.topics.filter((t) => t.errorCode === KAFKA_ERRORS.NONE && isSharedTopic(t.name, t.isInternal)).map((t) => t.name);
    const wanted = [...rows.flatMap((r) => studentAcls(r.id)), ...shared.flatMap(sharedTopicAcls)];
    const present = (await this.acls.describe()).filter(managedAcl);
    const presentKeys = new Set(present.map(aclKey));
    const wantedKeys = new Set(wanted.map(aclKey));
    const toCreate = wanted.filter((b) => !presentKeys.has(aclKey(b)));
    const toDelete: AclBinding[] = present.filter((b) => !wantedKeys.has(aclKey(b)));
    await this.acls.create(toCreate);
    if (toDelete.length) await this.acls.deleteBindings(toDelete);
    return { users: rows.length + 1, usersDeleted: gone.length, aclsCreated: toCreate.length, aclsDeleted: toDelete.length };
  }

  // ---- SCRAM -------------------------------------------------------------------------------------

  private async upsertUsers(users: ReadonlyArray<{ user: string; tokenHash: string }>): Promise<void> {
    if (users.length === 0) return;
    const upsertions: ScramUpsertion[] = await Promise.all(
      users.map((u) => scramUpsertion(u.user, kafkaPassword(this.serverKey!, u.tokenHash), CLASS_SASL_MECHANISM)),
    );
    const failed = (await this.kafka.alterScramCredentials({ upsertions })).filter((r) => r.errorCode !== KAFKA_ERRORS.NONE);
    if (failed.length) throw new Error(`Kafka refused the credential of ${failed.map((f) => `${f.user} (${f.errorMessage ?? f.errorCode})`).join(', ')}`);
  }

  private async alterQuotas(alterations: readonly ClientQuotaAlteration[]): Promise<void> {
    if (alterations.length === 0) return;
    const failed = (await this.kafka.alterClientQuotas(alterations)).filter((r) => r.errorCode !== KAFKA_ERRORS.NONE);
    if (failed.length) throw new Error(`Kafka refused the client quotas of ${failed.map((f) => `${f.entity.user ?? '?'} (${f.errorMessage ?? f.errorCode})`).join(', ')}`);
  }

  private async deleteUsers(users: readonly string[]): Promise<void> {
    if (users.length === 0) return;
    const results = await this.kafka.alterScramCredentials({ deletions: users.map((user) => ({ user, mechanism: CLASS_SASL_MECHANISM })) });
    // Already gone (RESOURCE_NOT_FOUND) is what was wanted.
    const failed = results.filter((r) => r.errorCode !== KAFKA_ERRORS.NONE && r.errorCode !== KAFKA_ERRORS.RESOURCE_NOT_FOUND);
    if (failed.length) throw new Error(`Kafka did not delete the credential of ${failed.map((f) => `${f.user} (${f.errorMessage ?? f.errorCode})`).join(', ')}`);
  }
}

function names(rows: readonly StudentRow[]): string {
  return rows.length === 1 ? `${rows[0].name} (${rows[0].id})` : `${rows.length} students`;
}
