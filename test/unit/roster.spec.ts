import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthService } from '../../src/class/auth.service';
import { ClassSettingsService } from '../../src/class/class-settings.service';
import type { QuotaService } from '../../src/class/quotas';
import { RosterService } from '../../src/class/roster.service';
import { RosterStore } from '../../src/class/roster.store';
import { StudentsService } from '../../src/class/students.service';
import { hashToken } from '../../src/class/student-credentials';
import { LabError } from '../../src/common/lab-error';
import { loadConfig } from '../../src/config/lab-config';
import { LabDatabase } from '../../src/timeline/lab-database';
import type { ConsumersService } from '../../src/consumers/consumers.service';
import { LiveBus } from '../../src/timeline/live-bus';
import { TimelineService } from '../../src/timeline/timeline.service';
import type { TopicsService } from '../../src/topics/topics.service';

/** The roster's services over a real SQLite file, opened again to play a restart. */
describe('roster: students, tokens, join and class settings', () => {
  let dir: string;
  let db: LabDatabase;
  let auth: AuthService;
  let settings: ClassSettingsService;
  let students: StudentsService;
  let timeline: TimelineService;

  const open = () => {
    const config = loadConfig({ LAB_DATA_DIR: dir, LAB_INSTRUCTOR_TOKEN: 'instructor-secret' });
    db = new LabDatabase(config);
    const store = new RosterStore(db);
    timeline = new TimelineService(db, new LiveBus());
    auth = new AuthService(config, store);
    auth.onModuleInit();
    settings = new ClassSettingsService(store, timeline);
    students = new StudentsService(store, auth, settings, timeline);
  };
  const restart = () => {
    db.close();
    open();
  };
  const codeOf = (f: () => unknown): [string, number, string] => {
    try {
      f();
    } catch (e) {
      if (e instanceof LabError) return [e.code, e.status, e.message];
      throw e;
    }
    throw new Error('expected a LabError');
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-roster-'));
    open();
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds students with 6-character ids and tokens that sign them in; only the hash is stored', async () => {
    const [ada, alan] = await students.add(['  Ada  Lovelace ', 'Alan'], 'instructor');
    expect(ada).toEqual({ id: expect.stringMatching(/^[a-z0-9]{6}$/), name: 'Ada Lovelace', role: 'student', token: expect.any(String) });
    expect(Buffer.from(ada.token, 'base64url').length).toBeGreaterThanOrEqual(24);
    expect(auth.verify(ada.token)).toEqual({ id: ada.id, name: 'Ada Lovelace', role: 'student' });
    expect(auth.verify(alan.token)?.id).toBe(alan.id);
    expect(auth.verify(ada.token + 'x')).toBeNull();
    // WAL mode: the rows may still be in the -wal file.
    const file = Buffer.concat([db.file, `${db.file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
    expect(file.includes(Buffer.from(ada.token))).toBe(false);
    expect(file.includes(Buffer.from(hashToken(ada.token)))).toBe(true);
  });

  it('adds none of a list when one name is taken or repeated, whatever the case', async () => {
    students.add(['Grace'], 'instructor');
    expect(codeOf(() => students.add(['Linus', 'grace'], 'instructor'))).toEqual(['CONFLICT', 409, 'A student named grace is already in the class.']);
    expect(codeOf(() => students.add(['Linus', 'LINUS'], 'instructor'))[1]).toBe(409);
    expect(students.inClass().map((r) => r.name)).toEqual(['Grace']);
  });

  it('refuses empty, too long and non-string names with a sentence', async () => {
    expect(codeOf(() => students.add([' '], 'instructor'))).toEqual(['BAD_INPUT', 400, 'name must not be empty.']);
    expect(codeOf(() => students.add(['x'.repeat(101)], 'instructor'))[2]).toBe('name must be at most 100 characters.');
    expect(codeOf(() => students.addFromBody({ name: 'a', names: ['b'] }, 'instructor'))[1]).toBe(400);
    expect(codeOf(() => students.addFromBody({}, 'instructor'))[1]).toBe(400);
  });

  it('joins with the code: wrong code 403, closed 403, taken name 409; events name the student', async () => {
    const code = settings.get().joinCode;
    const ada = await students.join(code, 'Ada', '10.0.0.1');
    expect(auth.verify(ada.token)?.role).toBe('student');
    expect(codeOf(() => students.join('wrong', 'Bob', '10.0.0.1'))).toEqual(['FORBIDDEN', 403, "That is not this class's join code."]);
    expect(codeOf(() => students.join(code, 'ADA', '10.0.0.1'))).toEqual(['CONFLICT', 409, 'A student named ADA is already in the class.']);
    settings.update({ joinOpen: false }, 'instructor');
    expect(codeOf(() => students.join(code, 'Bob', '10.0.0.1'))).toEqual(['FORBIDDEN', 403, 'Joining is closed; ask the instructor.']);
    const joined = timeline.query({ types: ['student.joined'] }).events;
    expect(joined).toEqual([expect.objectContaining({ actor: ada.id, studentId: ada.id, name: 'Ada' })]);
  });

  it('after 10 wrong codes from one address, that address gets 429 with a wait even with the right code; others do not', async () => {
    const code = settings.get().joinCode;
    for (let i = 0; i < 10; i++) expect(codeOf(() => students.join(`bad${i}`, 'Eve', '10.0.0.9'))[1]).toBe(403);
    const e = (() => {
      try {
        students.join(code, 'Eve', '10.0.0.9');
      } catch (x) {
        return x as LabError;
      }
      throw new Error('expected 429');
    })();
    expect(e.status).toBe(429);
    expect(e.retryAfterSeconds).toBeGreaterThan(0);
    expect(e.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await students.join(code, 'Eve', '10.0.0.10')).name).toBe('Eve');
  });

  it('a new token replaces the old one at once and tells the revoke listeners', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    const heard: string[] = [];
    auth.onRevoked((id, message) => heard.push(`${id}: ${message}`));
    const again = await students.reissue(ada.id, 'instructor');
    expect(again.id).toBe(ada.id);
    expect(auth.verify(ada.token)).toBeNull();
    expect(auth.verify(again.token)?.id).toBe(ada.id);
    expect(heard).toEqual([`${ada.id}: This token was replaced by a new one; sign in with the new token (ask the instructor for it).`]);
    expect(auth.refusal(ada.token)).toBe('This token was replaced by a new one; sign in with the new token (ask the instructor for it).');
    expect(auth.refusal('never-issued')).toBe('The token is not known to this lab server.');
    expect(codeOf(() => students.reissue('nobody', 'instructor'))[1]).toBe(404);
  });

  it('a removed student is signed out, no longer listed, and their name is free again', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    students.markRemoved(students.active(ada.id));
    expect(auth.verify(ada.token)).toBeNull();
    expect(students.inClass()).toEqual([]);
    expect(codeOf(() => students.active(ada.id))[1]).toBe(404);
    expect((await students.add(['ada'], 'instructor'))[0].name).toBe('ada');
  });

  it('PATCH merges, publishes the changed keys (never the code) and refuses code and rotation together', async () => {
    const before = settings.get();
    const after = settings.update({ quotas: { topics: 3 }, studentsMayControlBrokers: true }, 'instructor');
    expect(after.quotas).toEqual({ ...before.quotas, topics: 3 });
    const rotated = settings.update({ rotateJoinCode: true }, 'instructor');
    expect(rotated.joinCode).not.toBe(before.joinCode);
    expect(settings.update({ joinCode: 'lab-2026' }, 'instructor').joinCode).toBe('lab-2026');
    const updates = timeline.query({ types: ['class.updated'] }).events;
    expect(updates.map((e) => (e as { changed: string[] }).changed)).toEqual([['studentsMayControlBrokers', 'quotas.topics'], ['joinCode'], ['joinCode']]);
    expect(JSON.stringify(updates)).not.toContain('lab-2026');
    expect(codeOf(() => settings.update({ rotateJoinCode: true, joinCode: 'abcd' }, 'instructor'))[1]).toBe(400);
  });

  it('never logs a token: not a student\'s (added, joined, re-issued) nor a generated instructor token', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((m: unknown) => void lines.push(String(m)));
    }
    try {
      const [ada] = await students.add(['Ada'], 'instructor');
      const bob = await students.join(settings.get().joinCode, 'Bob', '10.0.0.1');
      const again = await students.reissue(ada.id, 'instructor');
      fs.rmSync(path.join(dir, 'instructor-token'));
      db.close();
      const config = loadConfig({ LAB_DATA_DIR: dir });
      db = new LabDatabase(config);
      const fresh = new AuthService(config, new RosterStore(db));
      fresh.onModuleInit();
      const instructorToken = fs.readFileSync(path.join(dir, 'instructor-token'), 'utf8').trim();
      expect(fresh.verify(instructorToken)?.role).toBe('instructor');
      expect(lines.length).toBeGreaterThan(0);
      for (const t of [ada.token, bob.token, again.token, instructorToken]) expect(lines.join('\n')).not.toContain(t);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('removal: token first, then consumers stopped, topics purged each on its own; a topic left is named in the error', async () => {
    const [ada, bob] = await students.add(['Ada', 'Bob'], 'instructor');
    const calls: string[] = [];
    const consumers = {
      all: () => [{ owner: ada.id, state: 'running' }, { owner: ada.id, state: 'stopped' }, { owner: bob.id, state: 'joining' }],
      removeOwner: async (owner: string) => void calls.push(`consumers of ${owner} stopped; token works: ${auth.verify(ada.token) !== null}`),
    } as unknown as ConsumersService;
    let cluster: Array<{ name: string; owner: string }> = [
      { name: `s-${ada.id}.a`, owner: ada.id }, { name: `s-${ada.id}.b`, owner: ada.id }, { name: `s-${bob.id}.a`, owner: bob.id }, { name: 'shared', owner: 'instructor' },
    ];
    const topics = {
      list: async () => cluster,
      delete: async (_who: unknown, name: string) => {
        if (name.endsWith('.b')) throw new Error('The request timed out.');
        cluster = cluster.filter((t) => t.name !== name);
        calls.push(`deleted ${name}`);
      },
    } as unknown as TopicsService;
    const forgotten: string[] = [];
    const roster = new RosterService(students, consumers, topics, timeline, { forget: (id: string) => forgotten.push(id), topicCreatesSettled: async () => undefined } as unknown as QuotaService);

    expect((await roster.list()).map((v) => [v.name, v.consumers, v.topics])).toEqual([['Ada', 1, 2], ['Bob', 1, 1]]);
    await expect(roster.remove(ada.id, true, 'instructor')).rejects.toThrow(
      `Ada was removed, but topic s-${ada.id}.b could not be deleted (The request timed out); delete it with DELETE /api/topics/{name}.`,
    );
    expect(calls).toEqual([`consumers of ${ada.id} stopped; token works: false`, `deleted s-${ada.id}.a`]);
    expect(forgotten).toEqual([ada.id]);
    expect(timeline.query({ types: ['student.removed'] }).events).toEqual([expect.objectContaining({ studentId: ada.id, name: 'Ada', purged: false })]);
    await expect(roster.remove(ada.id, false, 'instructor')).rejects.toThrow(`There is no student ${ada.id} in the class.`);
    await roster.remove(bob.id, false, 'instructor');
    expect(cluster.map((t) => t.name)).toEqual([`s-${ada.id}.b`, `s-${bob.id}.a`, 'shared']);
  });

  it('a purge also deletes a topic whose create was still waiting for Kafka when the token died', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    let cluster = [{ name: `s-${ada.id}.a`, owner: ada.id }];
    const deleted: string[] = [];
    const topics = {
      list: async () => cluster,
      delete: async (_who: unknown, name: string) => {
        cluster = cluster.filter((t) => t.name !== name);
        deleted.push(name);
      },
    } as unknown as TopicsService;
    const consumers = { removeOwner: async () => undefined } as unknown as ConsumersService;
    // The create in flight answers only once the removal waits for it.
    const quotas = { forget: () => undefined, topicCreatesSettled: async () => void cluster.push({ name: `s-${ada.id}.late`, owner: ada.id }) } as unknown as QuotaService;
    await new RosterService(students, consumers, topics, timeline, quotas).remove(ada.id, true, 'instructor');
    expect(deleted.sort()).toEqual([`s-${ada.id}.a`, `s-${ada.id}.late`]);
    expect(cluster).toEqual([]);
  });

  it('stillSignedIn: the instructor always, a student until removed (a re-issue keeps them signed in)', async () => {
    const [ada] = await students.add(['Ada'], 'instructor');
    expect(auth.stillSignedIn({ id: 'instructor', role: 'instructor' })).toBe(true);
    students.reissue(ada.id, 'instructor');
    expect(auth.stillSignedIn({ id: ada.id, role: 'student' })).toBe(true);
    students.markRemoved(students.active(ada.id));
    expect(auth.stillSignedIn({ id: ada.id, role: 'student' })).toBe(false);
  });

  it('a restart keeps the students, their tokens, removals and the settings', async () => {
    const [ada, bob] = await students.add(['Ada', 'Bob'], 'instructor');
    students.markRemoved(students.active(bob.id));
    const s = settings.update({ joinOpen: false, quotas: { consumers: 2 } }, 'instructor');
    expect(auth.verify(ada.token)).not.toBeNull();
    restart();
    expect(auth.verify(ada.token)).toEqual({ id: ada.id, name: 'Ada', role: 'student' });
    expect(auth.verify(bob.token)).toBeNull();
    expect(auth.refusal(bob.token)).toBe('You were removed from the class.');
    expect(settings.get()).toEqual(s);
    expect(students.inClass().map((r) => r.id)).toEqual([ada.id]);
    expect(students.lastSeen(students.active(ada.id))).not.toBeNull();
  });
});
