import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthService } from '../../src/class/auth.service';
import { ClassSettingsService } from '../../src/class/class-settings.service';
import type { QuotaService } from '../../src/class/quotas';
import { RosterService } from '../../src/class/roster.service';
import { RosterStore } from '../../src/class/roster.store';
import { StudentsService } from '../../src/class/students.service';
import { LabError } from '../../src/common/lab-error';
import { loadConfig } from '../../src/config/lab-config';
import type { ConsumersService } from '../../src/consumers/consumers.service';
import type { CheckpointId } from '../../src/grading/checkpoints';
import { GradingService } from '../../src/grading/grading.service';
import type { Grader, Passed } from '../../src/grading/grading.types';
import { LabsService } from '../../src/labs/labs.service';
import type { LabEvent } from '../../src/timeline/events';
import { LabDatabase } from '../../src/timeline/lab-database';
import { LiveBus } from '../../src/timeline/live-bus';
import { TimelineService } from '../../src/timeline/timeline.service';
import type { EventScope } from '../../src/timeline/timeline.types';
import type { TopicsService } from '../../src/topics/topics.service';

/**
 * A stand-in for the engine (src/grading/engine), as small as the service needs: a student's topic
 * with replication factor and partitions >= 3 passes replicated-topic, and a `messages.consumed` of
 * theirs passes pub-sub. Deterministic, like the real one.
 */
class StandInGrader implements Grader {
  cursor = 0;
  applied = 0;
  private readonly byStudent = new Map<string, Map<CheckpointId, Passed>>();

  apply(ev: LabEvent, scope: EventScope): Passed[] {
    this.cursor = ev.seq;
    this.applied++;
    const owner = scope.owner;
    if (!owner || owner === 'instructor') return [];
    if (ev.type === 'topic.created' && ev.replicationFactor >= 3 && ev.partitions >= 3) return this.pass(owner, 'replicated-topic', ev);
    if (ev.type === 'messages.consumed') return this.pass(owner, 'pub-sub', ev);
    return [];
  }

  passed(studentId: string): ReadonlyMap<CheckpointId, Passed> {
    return this.byStudent.get(studentId) ?? new Map();
  }

  private pass(studentId: string, checkpoint: CheckpointId, ev: LabEvent & { topic: string }): Passed[] {
    let mine = this.byStudent.get(studentId);
    if (!mine) this.byStudent.set(studentId, (mine = new Map()));
    if (mine.has(checkpoint)) return [];
    const p: Passed = {
      studentId, checkpoint, seq: ev.seq, at: ev.time,
      evidence: { summary: `Topic ${ev.topic} did it.`, events: [ev.seq], consumers: [], messages: [], topics: [ev.topic] },
    };
    mine.set(checkpoint, p);
    return [p];
  }
}

/** Lets the deferred announcing run (setImmediate), and what it publishes be caught up. */
const ticks = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('GradingService: the timeline folded into checkpoints, each announced once ever', () => {
  let dir: string;
  let db: LabDatabase;
  let bus: LiveBus;
  let timeline: TimelineService;
  let students: StudentsService;
  let roster: RosterService;
  let grader: StandInGrader;
  let grading: GradingService | null;

  const open = () => {
    const config = loadConfig({ LAB_DATA_DIR: dir, LAB_INSTRUCTOR_TOKEN: 'instructor-secret' });
    db = new LabDatabase(config);
    bus = new LiveBus();
    timeline = new TimelineService(db, bus);
    const store = new RosterStore(db);
    const auth = new AuthService(config, store);
    auth.onModuleInit();
    students = new StudentsService(store, auth, new ClassSettingsService(store, timeline), timeline);
    const consumers = { all: () => [] } as unknown as ConsumersService;
    const topics = { list: async () => [] } as unknown as TopicsService;
    roster = new RosterService(students, consumers, topics, timeline, {} as QuotaService);
    grading = null;
  };
  /** The service as Nest starts it: constructed, then its module's init. */
  const boot = () => {
    grader = new StandInGrader();
    grading = new GradingService(() => grader, timeline, bus, roster);
    grading.onModuleInit();
    return grading;
  };
  const restart = () => {
    grading?.onModuleDestroy();
    db.close();
    open();
    return boot();
  };
  const passedEvents = () => timeline.query({ types: ['checkpoint.passed'] }).events as Array<Extract<LabEvent, { type: 'checkpoint.passed' }>>;
  const topicOf = (owner: string, name: string, partitions = 3, replicationFactor = 3) =>
    timeline.publish({ type: 'topic.created', actor: owner, topic: `s-${owner}.${name}`, partitions, replicationFactor }, { owner, topic: `s-${owner}.${name}` });
  const consumed = (owner: string, topic: string) =>
    timeline.publish(
      { type: 'messages.consumed', actor: owner, consumerId: 'c1', groupId: `s-${owner}.g`, topic: `s-${owner}.${topic}`, count: 1, offsets: { '0': [['0', '0']] } },
      { owner, consumerId: 'c1', groupId: `s-${owner}.g`, topic: `s-${owner}.${topic}` },
    );
  const status = async (p: Promise<unknown>) => p.then(() => 200, (e) => (e instanceof LabError ? [e.status, e.message] : e));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-grades-'));
    open();
  });
  afterEach(() => {
    grading?.onModuleDestroy();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replays the stored timeline at boot, page by page past the memory tail, and announces each pass once', async () => {
    const [ada, bob] = await students.add(['Ada', 'Bob'], 'instructor');
    topicOf(ada.id, 'small', 1, 1);
    // More events than the timeline keeps in memory (and than one page): the replay reads the disk too.
    for (let i = 0; i < 12_000; i++) timeline.publish({ type: 'node.started', actor: 'system', nodeId: 0, role: 'broker' });
    const made = topicOf(ada.id, 'orders');
    topicOf(bob.id, 'tiny', 1, 3);
    const last = timeline.lastSeq;
    restart();
    expect(grader.cursor).toBe(last);
    expect(grader.applied).toBe(last);
    // Found at boot, announced on a tick of its own.
    expect(passedEvents()).toEqual([]);
    await ticks();
    expect(passedEvents()).toEqual([expect.objectContaining({ actor: 'system', studentId: ada.id, checkpoint: 'replicated-topic', evidence: expect.objectContaining({ events: [made.seq] }) })]);
    // The owner sees it (a `progress` push), nobody else.
    expect(timeline.query({ types: ['checkpoint.passed'], visible: (s) => s.owner === ada.id }).events).toHaveLength(1);
    expect(timeline.query({ types: ['checkpoint.passed'], visible: (s) => s.owner === bob.id }).events).toHaveLength(0);
  });

  it('a restart announces nothing twice, and only what never got its event before the stop', async () => {
    const [ada, bob] = await students.add(['Ada', 'Bob'], 'instructor');
    boot();
    topicOf(ada.id, 'orders');
    await ticks();
    expect(passedEvents().map((e) => [e.studentId, e.checkpoint])).toEqual([[ada.id, 'replicated-topic']]);
    const grades = JSON.stringify(await grading!.reports());

    restart();
    await ticks();
    expect(passedEvents()).toHaveLength(1);
    expect(JSON.stringify(await grading!.reports())).toBe(grades);

    // A pass found just before a stop: its event was never stored.
    consumed(bob.id, 'orders');
    grading!.onModuleDestroy();
    await ticks();
    expect(passedEvents()).toHaveLength(1);
    restart();
    await ticks();
    restart();
    await ticks();
    expect(passedEvents().map((e) => [e.studentId, e.checkpoint])).toEqual([[ada.id, 'replicated-topic'], [bob.id, 'pub-sub']]);
  });

  it('a stored pass stays a pass after a restart even when the rules no longer find it', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    boot();
    const made = topicOf(ada.id, 'orders');
    await ticks();
    const announced = passedEvents()[0];
    expect(announced).toMatchObject({ earnedBy: made.seq, earnedAt: made.time });
    // The next version of the rules asks for more: the same timeline no longer passes replicated-topic.
    grading?.onModuleDestroy();
    db.close();
    open();
    grader = new StandInGrader();
    grader.apply = (ev) => ((grader.cursor = ev.seq), []);
    grading = new GradingService(() => grader, timeline, bus, roster);
    grading.onModuleInit();
    await ticks();
    const report = await grading.report({ id: 'instructor', role: 'instructor' } as never, ada.id);
    expect(report.checkpoints[0]).toEqual({ id: 'replicated-topic', title: expect.any(String), passed: true, at: made.time, evidence: announced.evidence });
    expect(grading.passedIds(ada.id)).toEqual(['replicated-topic']);
    expect(passedEvents()).toHaveLength(1);
  });

  it('live: never announces from inside a publish, coalesces a burst into one catch-up, and reports include what is stored', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    boot();
    let inside = 0;
    bus.on('event', (ev) => {
      if (ev.type === 'topic.created') inside = passedEvents().length;
    });
    const made = topicOf(ada.id, 'orders');
    topicOf(ada.id, 'again');
    expect(inside).toBe(0);
    expect(passedEvents()).toHaveLength(0);
    // A request catches up at once: the pass is in the answer before its event is stored.
    const report = await grading!.report({ id: ada.id, name: 'Ada', role: 'student' }, ada.id);
    expect(report.checkpoints.find((c) => c.id === 'replicated-topic')).toEqual({
      id: 'replicated-topic', title: expect.any(String), passed: true, at: made.time,
      // The student reads their own names: no prefix in the sentence nor in the topics.
      evidence: expect.objectContaining({ summary: 'Topic orders did it.', topics: ['orders'], events: [made.seq] }),
    });
    expect(report.student.checkpoints).toEqual(['replicated-topic']);
    await ticks();
    expect(passedEvents()).toHaveLength(1);
    // The instructor reads the cluster's names.
    const seen = await grading!.report({ id: 'instructor', name: 'Instructor', role: 'instructor' }, ada.id);
    expect(seen.checkpoints[0].evidence?.topics).toEqual([`s-${ada.id}.orders`]);

    // A burst of events is one catch-up on the next tick, not one per event.
    const scans = jest.spyOn(timeline, 'scan');
    for (let i = 0; i < 50; i++) timeline.publish({ type: 'node.started', actor: 'system', nodeId: 0, role: 'broker' });
    expect(scans).not.toHaveBeenCalled();
    await ticks(1);
    expect(scans).toHaveBeenCalledTimes(1);
    expect(grader.cursor).toBe(timeline.lastSeq);
  });

  it('reports: every student in the class by name, CHECKPOINTS order, removed students left out; 404 alike for others and unknown ids', async () => {
    const [zoe, ada, bob] = await students.add(['zoe', 'Ada', 'bob'], 'instructor');
    boot();
    topicOf(zoe.id, 'orders');
    consumed(bob.id, 'orders');
    students.markRemoved(students.active(bob.id));
    const reports = await grading!.reports();
    expect(reports.map((r) => r.student.name)).toEqual(['Ada', 'zoe']);
    expect(reports[0].checkpoints.map((c) => c.id)).toEqual(['replicated-topic', 'pub-sub', 'load-sharing', 'consumer-failover', 'broker-failover', 'no-data-loss', 'incremental-rebalance', 'share-group']);
    expect(reports[0].checkpoints.every((c) => c.passed === false && c.at === null && c.evidence === null)).toBe(true);
    expect(reports[1].student).toMatchObject({ id: zoe.id, checkpoints: ['replicated-topic'] });
    // The roster's view carries the same checkpoints (GET /api/students).
    expect((await roster.list()).map((s) => [s.name, s.checkpoints])).toEqual([['zoe', ['replicated-topic']], ['Ada', []]]);

    const asAda = { id: ada.id, name: 'Ada', role: 'student' as const };
    const instructor = { id: 'instructor', name: 'Instructor', role: 'instructor' as const };
    expect(await status(grading!.report(asAda, zoe.id))).toEqual([404, `There is no student ${zoe.id}.`]);
    expect(await status(grading!.report(asAda, 'nobody'))).toEqual([404, 'There is no student nobody.']);
    expect(await status(grading!.report(instructor, bob.id))).toEqual([404, `There is no student ${bob.id}.`]);
    expect(await status(grading!.report(instructor, zoe.id))).toBe(200);
    expect(await status(grading!.report(asAda, ada.id))).toBe(200);

    const csv = await grading!.csv();
    expect(csv.split('\n')[1]).toBe(`${ada.id},Ada,false,false,false,false,false,false,false,false`);
    expect(csv.split('\n')[2]).toBe(`${zoe.id},zoe,true,false,false,false,false,false,false,false`);
  });

  it('labs: the caller\'s passed checkpoints per lab and step; the instructor\'s are empty and null', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    boot();
    topicOf(ada.id, 'orders');
    const labs = new LabsService(grading!);
    const asAda = { id: ada.id, name: 'Ada', role: 'student' as const };
    const instructor = { id: 'instructor', name: 'Instructor', role: 'instructor' as const };
    expect(labs.list(asAda)[0]).toMatchObject({ id: 'A', checkpoints: ['replicated-topic', 'pub-sub', 'load-sharing'], passed: ['replicated-topic'] });
    expect(labs.list(instructor)[0].passed).toEqual([]);
    const steps = labs.one(asAda, 'a').steps;
    expect(steps.map((s) => s.passed)).toEqual(steps.map((s) => (s.checkpoint === null ? null : s.checkpoint === 'replicated-topic')));
    expect(labs.one(instructor, 'A').steps.every((s) => s.passed === null)).toBe(true);
    expect(() => labs.one(asAda, 'h')).toThrow('There is no lab h; the labs are A to G.');
  });
});
