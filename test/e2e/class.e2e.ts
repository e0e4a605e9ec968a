import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Socket } from 'socket.io-client';
import { addStudent, joinClass, joinCode } from '../support/class';
import { freePort } from '../support/free-ports';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { ROOT, ServerHandle, startLabServer } from '../support/lab-server';
import { checkResponse, loadOpenApi } from '../support/openapi-doc';
import { watchedSocket, WatchedSocket } from '../support/socket';

const doc = loadOpenApi();

/** The answer fits openapi.yaml's schema for its route and status (the class section is this lane's). */
function fits(method: string, pathTemplate: string, res: { status: number; body: unknown; headers: Record<string, string | string[] | undefined> }): void {
  expect(checkResponse(doc, method, pathTemplate, res)).toEqual([]);
}

/**
 * The class as the instructor and the students live it on the shared server: joining with the code,
 * a rotated code, joining closed, a lost token re-issued, a student removed (token, consumers, sockets,
 * topics), the node-action gate; then a SECOND server (no Kafka) restarted on its own data dir keeps
 * the roster, the tokens and the settings. Settings it changes are put back at the end.
 */
describe('the class: roster, join, tokens, removal', () => {
  const instructor = () => api();
  const as = (token: string) => api(token);
  const sockets: Socket[] = [];
  let saved: Record<string, unknown>;

  /** A socket signed in with `token` (closed at the end). */
  async function socketOf(token: string): Promise<WatchedSocket> {
    const w = await watchedSocket(token);
    sockets.push(w.socket);
    return w;
  }

  beforeAll(async () => {
    saved = (await instructor().get('/api/class').expect(200)).body;
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    // Other files join and run as students: the class is left as it was found (the code rotates, though).
    const { joinOpen, studentsMayControlBrokers, quotas } = saved as { joinOpen: boolean; studentsMayControlBrokers: boolean; quotas: unknown };
    await instructor().patch('/api/class').send({ joinOpen, studentsMayControlBrokers, quotas }).expect(200);
  });

  it('a student joins with the code and is signed in; wrong code, taken name and bad bodies are refused', async () => {
    const code = await joinCode();
    const name = uniqueName('Ada');
    const joinedRes = await api(null).post('/api/join').send({ code, name: `  ${name}  ` }).expect(201);
    fits('post', '/api/join', joinedRes);
    const ada = joinedRes.body;
    expect(ada).toEqual({ id: expect.stringMatching(/^[a-z0-9]{6}$/), name, role: 'student', token: expect.any(String) });
    expect((await as(ada.token).get('/api/me').expect(200)).body).toMatchObject({ id: ada.id, name, role: 'student' });

    const wrong = await api(null).post('/api/join').send({ code: `${code}-not`, name: uniqueName('Eve') }).expect(403);
    fits('post', '/api/join', wrong);
    expect(wrong.body.message).toBe("That is not this class's join code.");
    const taken = await api(null).post('/api/join').send({ code, name: name.toUpperCase() }).expect(409);
    expect(taken.body.message).toBe(`A student named ${name.toUpperCase()} is already in the class.`);
    await api(null).post('/api/join').send({ code }).expect(400);
    await api(null).post('/api/join').send({ code, name: ' ' }).expect(400);
    await api(null).post('/api/join').send({ code, name: 'x', extra: 1 }).expect(400);

    // The roster lists them; students may not read it or the settings.
    const rosterRes = await instructor().get('/api/students').expect(200);
    fits('get', '/api/students', rosterRes);
    const roster = rosterRes.body as Array<{ id: string }>;
    expect(roster.find((r) => r.id === ada.id)).toMatchObject({ name, role: 'student', consumers: 0, topics: 0, checkpoints: [] });
    expect((await as(ada.token).get('/api/students').expect(403)).body.message).toBe('Only the instructor may do this.');
    await as(ada.token).get('/api/class').expect(403);
    await as(ada.token).post('/api/students').send({ name: uniqueName('x') }).expect(403);
    const joined = (await instructor().get('/api/events?types=student.joined').expect(200)).body.events;
    expect(joined).toContainEqual(expect.objectContaining({ actor: ada.id, studentId: ada.id, name }));
  });

  it('the instructor adds a list all or nothing', async () => {
    const [a, b] = [uniqueName('Alan'), uniqueName('Grace')];
    const addedRes = await instructor().post('/api/students').send({ names: [a, b] }).expect(201);
    fits('post', '/api/students', addedRes);
    const added = addedRes.body;
    fits('post', '/api/students', await instructor().post('/api/students').send({ name: uniqueName('One') }).expect(201));
    expect(added.map((s: { name: string }) => s.name)).toEqual([a, b]);
    const c = uniqueName('Linus');
    const refused = await instructor().post('/api/students').send({ names: [c, b.toLowerCase()] }).expect(409);
    expect(refused.body.message).toBe(`A student named ${b.toLowerCase()} is already in the class.`);
    const roster = (await instructor().get('/api/students').expect(200)).body as Array<{ name: string }>;
    expect(roster.some((r) => r.name === c)).toBe(false);
  });

  it('a rotated code takes over from the old one; the timeline says the code changed, never what it is', async () => {
    const old = await joinCode();
    fits('get', '/api/class', await instructor().get('/api/class').expect(200));
    const rotated = await instructor().patch('/api/class').send({ rotateJoinCode: true }).expect(200);
    fits('patch', '/api/class', rotated);
    const after = rotated.body;
    expect(after.joinCode).not.toBe(old);
    await api(null).post('/api/join').send({ code: old, name: uniqueName('Late') }).expect(403);
    await joinClass('OnTime', after.joinCode);
    const updates = (await instructor().get('/api/events?types=class.updated').expect(200)).body.events;
    expect(updates[updates.length - 1]).toMatchObject({ type: 'class.updated', actor: 'instructor', changed: ['joinCode'] });
    expect(JSON.stringify(updates)).not.toContain(after.joinCode);
    await instructor().patch('/api/class').send({ joinCode: 'x' }).expect(400);
    await instructor().patch('/api/class').send({ quotas: { topics: -1 } }).expect(400);
    await instructor().patch('/api/class').send({ quotas: { nope: 1 } }).expect(400);
  });

  it('joining closed: the right code is refused with a sentence until it opens again', async () => {
    await instructor().patch('/api/class').send({ joinOpen: false }).expect(200);
    const code = await joinCode();
    const closed = await api(null).post('/api/join').send({ code, name: uniqueName('Closed') }).expect(403);
    expect(closed.body.message).toBe('Joining is closed; ask the instructor.');
    await instructor().patch('/api/class').send({ joinOpen: true }).expect(200);
    await joinClass('Reopened', code);
  });

  it('a re-issued token replaces the old one at once and closes the sockets it opened', async () => {
    const st = await addStudent('Lost');
    const sock = await socketOf(st.token);
    const freshRes = await instructor().post(`/api/students/${st.id}/token`).expect(201);
    fits('post', '/api/students/{id}/token', freshRes);
    const fresh = freshRes.body;
    expect(fresh).toMatchObject({ id: st.id, name: st.name, role: 'student' });
    expect(fresh.token).not.toBe(st.token);
    expect((await as(st.token).get('/api/me').expect(401)).body.message).toBe('This token was replaced by a new one; sign in with the new token (ask the instructor for it).');
    expect((await as(fresh.token).get('/api/me').expect(200)).body.id).toBe(st.id);
    await waitFor('the old socket closed', () => sock.closed(), 10_000);
    expect(sock.errors).toEqual(['This token was replaced by a new one; sign in with the new token (ask the instructor for it).']);
    await (await socketOf(fresh.token)).socket.close();
    await instructor().post('/api/students/nobody/token').expect(404);
  });

  it('removal: the token dies, consumers stop, sockets close with a sentence, purge deletes their topics', async () => {
    const st = await addStudent('Leaving');
    const topic = uniqueName('mine');
    await as(st.token).post('/api/topics').send({ name: topic, partitions: 2, replicationFactor: 3 }).expect(201);
    const consumer = (await as(st.token).post('/api/consumers').send({ groupId: uniqueName('g'), topics: [topic] }).expect(201)).body;
    await waitFor('the consumer runs', async () => (await as(st.token).get(`/api/consumers/${consumer.id}`)).body.state === 'running', 30_000);
    const roster = (await instructor().get('/api/students').expect(200)).body as Array<{ id: string; consumers: number; topics: number; lastSeen: string | null }>;
    expect(roster.find((r) => r.id === st.id)).toMatchObject({ consumers: 1, topics: 1, lastSeen: expect.any(String) });
    const sock = await socketOf(st.token);

    await instructor().delete(`/api/students/${st.id}?purge=true`).expect(204);
    expect((await as(st.token).get('/api/me').expect(401)).body.message).toBe('You were removed from the class.');
    await waitFor('the socket closed', () => sock.closed(), 10_000);
    expect(sock.errors).toEqual(['You were removed from the class.']);
    const stopped = (await instructor().get('/api/events?types=consumer.stopped').expect(200)).body.events;
    expect(stopped).toContainEqual(expect.objectContaining({ consumerId: consumer.id, actor: 'instructor' }));
    expect((await instructor().get('/api/consumers').expect(200)).body.some((c: { id: string }) => c.id === consumer.id)).toBe(false);
    const topics = (await instructor().get('/api/topics').expect(200)).body as Array<{ name: string }>;
    expect(topics.some((t) => t.name.endsWith(`.${topic}`))).toBe(false);
    expect(((await instructor().get('/api/students').expect(200)).body as Array<{ id: string }>).some((r) => r.id === st.id)).toBe(false);
    const removed = (await instructor().get('/api/events?types=student.removed').expect(200)).body.events;
    expect(removed).toContainEqual(expect.objectContaining({ actor: 'instructor', studentId: st.id, name: st.name, purged: true }));
    await instructor().delete(`/api/students/${st.id}`).expect(404);
    await instructor().delete('/api/students/nobody').expect(404);
  });

  it('node actions are the instructor\'s unless the class lets students control brokers', async () => {
    const st = await addStudent('Operator');
    const refused = await as(st.token).post('/api/cluster/nodes/0/start').expect(403);
    expect(refused.body.message).toBe('Only the instructor controls the brokers in this class (the instructor can allow it: studentsMayControlBrokers).');
    await instructor().patch('/api/class').send({ studentsMayControlBrokers: true }).expect(200);
    // Allowed now: starting a running broker is refused for its state, not for the caller.
    await as(st.token).post('/api/cluster/nodes/0/start').expect(409);
    await as(st.token).post('/api/cluster/stop').expect(403);
    await as(st.token).get('/api/runtime').expect(403);
    await instructor().patch('/api/class').send({ studentsMayControlBrokers: false }).expect(200);
    await as(st.token).post('/api/cluster/nodes/0/start').expect(403);
  });

  describe('a second server restarted on its own data dir', () => {
    const token = 'second-class-token';
    const runDir = path.join(ROOT, '.test-data', uniqueName('class-restart'));
    let env: Record<string, string>;
    let server: ServerHandle | undefined;
    const start = async () => {
      server = await startLabServer(env, { logFile: path.join(runDir, 'server.log'), untilState: null, timeoutMs: 60_000 });
      return server.url;
    };

    beforeAll(async () => {
      env = { PORT: String(await freePort()), LAB_DATA_DIR: path.join(runDir, 'lab'), LAB_INSTRUCTOR_TOKEN: token, LAB_AUTOSTART: 'false' };
    });
    afterAll(async () => {
      await server?.stop();
      fs.rmSync(path.join(runDir, 'lab'), { recursive: true, force: true });
    });

    it('keeps the roster, the tokens, removals and the settings', async () => {
      let url = await start();
      const kept = await addStudent('Kept', url, token);
      const gone = await addStudent('Gone', url, token);
      const joined = await joinClass('Joined', await joinCode(url, token), url);
      await api(kept.token, url).get('/api/me').expect(200);
      await api(token, url).delete(`/api/students/${gone.id}`).expect(204);
      const settings = (await api(token, url).patch('/api/class').send({ joinOpen: false, studentsMayControlBrokers: true, quotas: { topics: 3 } }).expect(200)).body;
      await server!.stop();
      server = undefined;

      url = await start();
      expect((await api(kept.token, url).get('/api/me').expect(200)).body).toEqual({ id: kept.id, name: kept.name, role: 'student', studentsMayControlBrokers: true });
      await api(joined.token, url).get('/api/me').expect(200);
      expect((await api(gone.token, url).get('/api/me').expect(401)).body.message).toBe('You were removed from the class.');
      expect((await api('never-a-token-here', url).get('/api/me').expect(401)).body.message).toBe('The token is not known to this lab server.');
      expect((await api(token, url).get('/api/class').expect(200)).body).toEqual(settings);
      const roster = (await api(token, url).get('/api/students').expect(200)).body as Array<{ id: string; lastSeen: string | null }>;
      expect(roster.map((r) => r.id).sort()).toEqual([kept.id, joined.id].sort());
      expect(roster.find((r) => r.id === kept.id)?.lastSeen).toEqual(expect.any(String));
    });

    // Here, not on the shared server: the lockout holds 127.0.0.1 for a minute, and every file joins from it.
    it('holds an address that guessed 10 wrong codes in a minute with 429 and Retry-After, even with the right code', async () => {
      const url = server!.url;
      const { joinCode: code } = (await api(token, url).patch('/api/class').send({ joinOpen: true }).expect(200)).body;
      for (let i = 0; i < 10; i++) await api(null, url).post('/api/join').send({ code: `guess-${i}`, name: uniqueName('Guess') }).expect(403);
      const held = await api(null, url).post('/api/join').send({ code, name: uniqueName('Guess') }).expect(429);
      fits('post', '/api/join', held);
      expect(Number(held.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(held.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(held.body.message).toMatch(/^Too many wrong join codes from your address; try again in \d+ s\.$/);
    });
  });
});
