import { ChildProcess, spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { addStudent, joinClass, TestStudent } from '../support/class';
import { kcatEnv, kcatLibrdkafkaVersion } from '../support/kcat';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { checkResponse, loadOpenApi } from '../support/openapi-doc';

const doc = loadOpenApi();

interface KafkaSettings {
  bootstrapServers: string;
  securityProtocol: string;
  mechanism: string;
  username: string;
  password: string;
  prefix: string;
  kcat: string;
  clientProperties: string;
}

interface KcatRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const TOPIC_REFUSED = /Topic authorization failed/i;
const GROUP_REFUSED = /Group authorization failed/i;
const SIGN_IN_REFUSED = /SASL authentication error|Authentication failed/i;

/**
 * The kcat line of GET /api/me/kafka without its `-L`: the options every command of theirs starts with,
 * plus a metadata deadline of 30 s instead of kcat's 5 (a loaded CI machine, hundreds of topics).
 */
const optionsOf = (s: KafkaSettings) => {
  const words = s.kcat.split(' ');
  expect(words[0]).toBe('kcat');
  expect(words[words.length - 1]).toBe('-L');
  return [...words.slice(1, -1), '-m', '30'];
};
/** A sign-in that must fail gives up after kcat's usual 5 s. */
const QUICK = ['-m', '5'];

/**
 * Runs kcat as a student's own client to its end or `timeoutMs` (SIGTERM), resolving with what it said
 * whatever the exit: Kafka's refusals are read from stderr. Debian's kcat runs with a recent
 * librdkafka (test/support/kcat.ts): Kafka 4 refuses librdkafka 2.0's SCRAM.
 */
function kcatRun(args: string[], input?: string, timeoutMs = 60_000): Promise<KcatRun> {
  return new Promise((resolve) => {
    const child = spawn('kcat', args, { env: kcatEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** kcat ended well; a failure shows what it said on stderr. */
function expectOk(r: KcatRun): void {
  if (r.code !== 0) throw new Error(`kcat ended with code ${r.code}; it said:\n${r.stderr.slice(-3000)}`);
}

/**
 * Students' own Kafka clients on the shared server's class listener (LAB_KAFKA_PUBLIC_HOST=127.0.0.1):
 * kcat with the settings of GET /api/me/kafka works in the student's own namespace and on the
 * instructor's shared topics, and Kafka itself refuses everything else; removal and a new token end
 * the old credentials. The server's own clients (the API's consumers and produce) work alongside.
 */
describe('students\' own Kafka clients: credentials and isolation on the class listener', () => {
  const running: ChildProcess[] = [];
  let a: TestStudent;
  let b: TestStudent;
  let sa: KafkaSettings;
  let sb: KafkaSettings;
  let si: KafkaSettings;
  let aTopic: string;
  let bTopic: string;
  let shared: string;

  async function settingsOf(token: string): Promise<KafkaSettings> {
    const res = await api(token).get('/api/me/kafka');
    expect(res.status).toBe(200);
    expect(checkResponse(doc, 'get', '/api/me/kafka', res)).toEqual([]);
    return res.body as KafkaSettings;
  }

  async function topicAs(token: string | null, name: string): Promise<void> {
    const res = await api(token ?? undefined).post('/api/topics').send({ name, partitions: 2, replicationFactor: 2 });
    if (res.status !== 201) throw new Error(`creating topic ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  beforeAll(async () => {
    // Kafka 4.x refuses the SCRAM of librdkafka < 2.6.1 (Debian 12 has 2.0.2): scripts/test-prereqs.sh links a newer one.
    const version = kcatLibrdkafkaVersion(kcatEnv());
    if (!version || version.localeCompare('2.6.1', undefined, { numeric: true }) < 0) {
      throw new Error(`kcat runs with librdkafka ${version ?? '(unknown)'}: SCRAM with Kafka 4 needs 2.6.1 or newer; run scripts/test-prereqs.sh (it links the confluent-kafka wheel's).`);
    }
    // One student added by the instructor, one joining with the code: both get their Kafka user before the answer.
    [a, b] = await Promise.all([addStudent('kafka-a'), joinClass('kafka-b')]);
    [sa, sb, si] = await Promise.all([settingsOf(a.token), settingsOf(b.token), settingsOf(sharedLab().token)]);
    aTopic = uniqueName('orders');
    bTopic = uniqueName('secret');
    shared = uniqueName('news');
    await Promise.all([topicAs(a.token, aTopic), topicAs(b.token, bTopic), topicAs(null, shared)]);
  });

  afterAll(() => {
    for (const c of running) c.kill('SIGKILL');
  });

  it('GET /api/me/kafka: each principal\'s own user on every broker\'s class port, with kcat and client.properties lines', () => {
    const { portBase } = sharedLab();
    const ports = sa.bootstrapServers.split(',').map((hp) => {
      expect(hp.startsWith('127.0.0.1:')).toBe(true);
      return Number(hp.split(':')[1]);
    });
    expect(ports).toEqual([portBase + 30, portBase + 31, portBase + 32]);
    expect(sa).toMatchObject({ securityProtocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', username: `s-${a.id}`, prefix: `s-${a.id}.` });
    expect(sb).toMatchObject({ username: `s-${b.id}`, prefix: `s-${b.id}.` });
    expect(si).toMatchObject({ username: 'instructor', prefix: '' });
    expect(new Set([sa.password, sb.password, si.password]).size).toBe(3);
    expect(sa.kcat).toContain(`-X sasl.username=s-${a.id} -X sasl.password=${sa.password}`);
    expect(sa.clientProperties).toContain(`username="s-${a.id}" password="${sa.password}";`);
  });

  it('the page\'s "Your Kafka client" panel shows A\'s settings, and its button copies the kcat line', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const { url } = sharedLab();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/#token=${a.token}`);
      await page.locator('[data-testid=kafka-panel]:not([hidden])').waitFor({ timeout: 30_000 });
      expect(await page.textContent('[data-testid=kafka-username]')).toBe(sa.username);
      expect(await page.textContent('[data-testid=kafka-password]')).toBe(sa.password);
      expect(await page.textContent('[data-testid=kafka-bootstrap-servers]')).toBe(sa.bootstrapServers);
      expect(await page.textContent('[data-testid=kafka-prefix]')).toContain(sa.prefix);
      expect(await page.textContent('[data-testid=kafka-kcat]')).toBe(sa.kcat);
      expect(await page.textContent('[data-testid=kafka-properties]')).toBe(sa.clientProperties);
      await page.click('[data-testid=kafka-kcat-copy]');
      await page.locator('[data-testid=kafka-kcat-copy]', { hasText: 'copied' }).waitFor({ timeout: 5_000 });
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(sa.kcat);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('A\'s kcat writes to and reads from A\'s own topic; the API\'s consumer sees kcat\'s messages and kcat sees the API\'s', async () => {
    const topic = `${sa.prefix}${aTopic}`;
    const produced = await kcatRun([...optionsOf(sa), '-P', '-t', topic, '-K:'], 'k1:from-kcat-1\nk2:from-kcat-2\n');
    expect(produced.stderr).not.toMatch(/fail|error/i);
    expectOk(produced);
    await api(a.token).post(`/api/topics/${aTopic}/messages`).send({ value: 'from-api' }).expect(201);

    const consumed = await kcatRun([...optionsOf(sa), '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k=%s\n']);
    expectOk(consumed);
    expect(consumed.stdout.split('\n').filter(Boolean).sort()).toEqual(['=from-api', 'k1=from-kcat-1', 'k2=from-kcat-2']);

    // The server's own consumer (the loopback listener, a super user) reads what kcat wrote.
    const started = await api(a.token).post('/api/consumers').send({ topics: [aTopic], fromBeginning: true }).expect(201);
    const values = await waitFor('the API consumer to read kcat\'s messages', async () => {
      const r = await api(a.token).get(`/api/consumers/${started.body.id}/messages?limit=100`).expect(200);
      const got = (r.body.messages as Array<{ value: string }>).map((m) => m.value).sort();
      return got.length >= 3 ? got : null;
    });
    expect(values).toEqual(['from-api', 'from-kcat-1', 'from-kcat-2']);
    await api(a.token).delete(`/api/consumers/${started.body.id}`).expect(204);
  });

  it('Kafka refuses A another student\'s topic and group, and any topic outside A\'s prefix (nothing is created)', async () => {
    const opts = optionsOf(sa);
    const write = await kcatRun([...opts, '-P', '-t', `${sb.prefix}${bTopic}`], 'not-yours\n');
    expect(write.stderr).toMatch(TOPIC_REFUSED);
    const read = await kcatRun([...opts, '-C', '-t', `${sb.prefix}${bTopic}`, '-o', 'beginning', '-e'], undefined, 20_000);
    expect(read.stderr).toMatch(TOPIC_REFUSED);

    const outside = uniqueName('outside');
    const made = await kcatRun([...opts, '-P', '-t', outside], 'x\n');
    expect(made.stderr).toMatch(TOPIC_REFUSED);
    await api().get(`/api/topics/${outside}`).expect(404);

    // B's group, on A's own topic: the group is what is refused.
    const group = await kcatRun([...opts, '-G', `${sb.prefix}readers`, `${sa.prefix}${aTopic}`], undefined, 12_000);
    expect(group.stderr).toMatch(GROUP_REFUSED);
    // B's messages are untouched: B reads their topic and finds nothing A wrote.
    const bRead = await kcatRun([...optionsOf(sb), '-C', '-t', `${sb.prefix}${bTopic}`, '-o', 'beginning', '-e']);
    expectOk(bRead);
    expect(bRead.stdout).not.toContain('not-yours');
  });

  it('A reads and writes the instructor\'s shared topic', async () => {
    await api().post(`/api/topics/${shared}/messages`).send({ value: 'from-instructor' }).expect(201);
    // The class's ACLs on a shared topic follow its topic.created event within moments.
    const read = await waitFor('A to read the shared topic', async () => {
      const r = await kcatRun([...optionsOf(sa), '-C', '-t', shared, '-o', 'beginning', '-e', '-f', '%s\n'], undefined, 20_000);
      return r.code === 0 && r.stdout.includes('from-instructor') ? r : null;
    }, 60_000, 1000);
    expect(read.stderr).not.toMatch(TOPIC_REFUSED);
    const wrote = await kcatRun([...optionsOf(sa), '-P', '-t', shared], 'from-a\n');
    expect(wrote.stderr).not.toMatch(/fail|error/i);
    // kcat -e ends with code 1 on any error on the way (a leader that moved after another suite's broker kill): ask again.
    const again = await waitFor('the instructor to read both messages', async () => {
      const r = await kcatRun([...optionsOf(si), '-C', '-t', shared, '-o', 'beginning', '-e', '-f', '%s\n']);
      return r.code === 0 && r.stdout.split('\n').filter(Boolean).length === 2 ? r : null;
    }, 60_000, 1000).catch(async (e) => {
      expectOk(await kcatRun([...optionsOf(si), '-C', '-t', shared, '-o', 'beginning', '-e', '-f', '%s\n']));
      throw e;
    });
    // Two partitions: the order across them is Kafka's.
    expect(again.stdout.split('\n').filter(Boolean).sort()).toEqual(['from-a', 'from-instructor']);
  });

  it('a kcat -G member in A\'s group is in the group\'s view as A\'s', async () => {
    const group = `${sa.prefix}${uniqueName('kcat-readers')}`;
    const child = spawn('kcat', [...optionsOf(sa), '-G', group, `${sa.prefix}${aTopic}`], { env: kcatEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const name = group.slice(sa.prefix.length);
    const view = await waitFor(`GET /api/groups/${name} to list kcat's member`, async () => {
      const r = await api(a.token).get(`/api/groups/${name}`);
      return r.status === 200 && r.body.members.length === 1 && r.body.members[0].assignment.length ? r.body : null;
    }, 60_000, 500).catch((e) => { throw new Error(`${(e as Error).message}\nkcat said: ${stderr}`); });
    expect(view).toMatchObject({ groupId: name, owner: a.id, type: 'classic' });
    // Not one of the server's consumers: an external member, with where it runs.
    expect(view.members[0]).toMatchObject({ clientId: 'rdkafka', consumerId: null, external: true, clientHost: expect.stringContaining('127.0.0.1'), assignment: [{ topic: aTopic, partitions: [0, 1] }] });
    // B may not see it.
    await api(b.token).get(`/api/groups/${group}`).expect(404);
    child.kill('SIGTERM');
  });

  it('the instructor\'s credentials are a super user\'s: every student\'s topic is there', async () => {
    const listed = await kcatRun([...optionsOf(si), '-L', '-J']);
    expectOk(listed);
    const names = (JSON.parse(listed.stdout) as { topics: Array<{ topic: string }> }).topics.map((t) => t.topic);
    expect(names).toEqual(expect.arrayContaining([`${sa.prefix}${aTopic}`, `${sb.prefix}${bTopic}`, shared]));
    // A student lists only what its ACLs let it describe.
    const aListed = JSON.parse((await kcatRun([...optionsOf(sa), '-L', '-J'])).stdout) as { topics: Array<{ topic: string }> };
    expect(aListed.topics.map((t) => t.topic)).not.toContain(`${sb.prefix}${bTopic}`);
  });

  it('a new token changes the Kafka password: the old one no longer signs in, the new one does', async () => {
    const old = sa;
    const res = await api().post(`/api/students/${a.id}/token`).expect(201);
    a = { ...a, token: res.body.token };
    sa = await settingsOf(a.token);
    expect(sa.password).not.toBe(old.password);
    const refused = await kcatRun([...optionsOf(old), ...QUICK, '-L'], undefined, 20_000);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(SIGN_IN_REFUSED);
    const ok = await kcatRun([...optionsOf(sa), '-L', '-t', `${sa.prefix}${aTopic}`]);
    expectOk(ok);
    expect(ok.stdout).toContain(`${sa.prefix}${aTopic}`);
  });

  it('after DELETE /api/students/{id}, the student\'s credentials fail to sign in, and their open kcat gets nothing more', async () => {
    const before = await kcatRun([...optionsOf(sb), '-L', '-t', `${sb.prefix}${bTopic}`]);
    expectOk(before);
    // B's consumer, open across the removal (-u: each message printed as it comes, not at exit).
    const open = spawn('kcat', [...optionsOf(sb), '-C', '-u', '-t', `${sb.prefix}${bTopic}`, '-o', 'end', '-f', '%s\n'], { env: kcatEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(open);
    let got = '';
    let complaints = '';
    open.stdout.on('data', (d) => (got += d));
    open.stderr.on('data', (d) => (complaints += d));
    // It reads (a message written now arrives), so it is connected and fetching.
    await waitFor('B\'s open kcat to read a message', async () => {
      await api(b.token).post(`/api/topics/${bTopic}/messages`).send({ value: 'before-removal' }).expect(201);
      return got.includes('before-removal');
    }, 60_000, 2000);

    const quietUntil = complaints.length;
    await api().delete(`/api/students/${b.id}`).expect(204);
    const after = await kcatRun([...optionsOf(sb), ...QUICK, '-L'], undefined, 20_000);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(SIGN_IN_REFUSED);
    // Their token is dead too, so the API has no Kafka settings for them.
    await api(b.token).get('/api/me/kafka').expect(401);

    // The open connection: its ACLs are gone at once, its sign-in at the next re-authentication (60 s).
    await api().post(`/api/topics/${sb.prefix}${bTopic}/messages`).send({ value: 'after-removal' }).expect(201);
    await waitFor('B\'s open kcat to be refused', () => /authorization failed|Authentication failed|SASL/i.test(complaints.slice(quietUntil)), 90_000, 500)
      .catch((e) => { throw new Error(`${(e as Error).message}\nkcat said: ${complaints}`); });
    expect(got).not.toContain('after-removal');
    open.kill('SIGTERM');
  });
});
