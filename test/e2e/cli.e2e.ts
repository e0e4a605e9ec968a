// The klab CLI against the shared lab server and its real cluster: what a student types, what they see.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { exited, klab, KLAB, klabEnv as env, running, until } from '../support/klab';

describe('klab CLI', () => {
  const topic = uniqueName('cli-topic');
  let consumer: ChildProcess | undefined;

  afterAll(async () => {
    if (consumer && consumer.exitCode === null) {
      consumer.kill('SIGKILL');
      await exited(consumer, 5_000).catch(() => undefined);
    }
    await api().delete(`/api/topics/${topic}`);
  });

  it('klab cluster shows three running brokers, as a table and as JSON', async () => {
    const table = await klab(['cluster']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Cluster (running|degraded) /);
    expect(table.stdout.match(/^\d+\s+broker\s+running\s/gm)?.length ?? 0).toBeGreaterThanOrEqual(3);

    const json = await klab(['cluster', '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body.brokers.filter((b: { state: string }) => b.state === 'running').length).toBeGreaterThanOrEqual(3);
  });

  it('creates a topic and describes it like kafka-topics.sh', async () => {
    const created = await klab(['topic', 'create', topic, '-p', '3', '-r', '3']);
    expect(created.stderr).toContain(`% Created topic ${topic}`);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('PartitionCount: 3');

    const described = await klab(['topic', 'describe', topic]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(`Topic: ${topic}`);
    expect(described.stdout).toContain('PartitionCount: 3');
    expect(described.stdout.match(/\tPartition: \d+\tLeader: \d+/g)).toHaveLength(3);

    const topics = await klab(['topics', '--json']);
    expect(topics.code).toBe(0);
    expect(JSON.parse(topics.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: topic, partitions: 3, replicationFactor: 3 })]));
  });

  it('produces stdin lines, and a consumer from the beginning prints them with -f; Ctrl-C leaves cleanly', async () => {
    const lines = ['line-1', 'line-2', 'line-3', 'line-4', 'line-5'];
    const produced = await klab(['produce', topic], lines.join('\n') + '\n');
    expect(produced.code).toBe(0);
    expect(produced.stderr).toMatch(/% 5 message\(s\) produced to /);

    consumer = spawn(process.execPath, [KLAB, 'consume', topic, '-b', '-f', '%p %s\\n'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    consumer.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    consumer.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));

    const received = await waitFor(
      'the consumer to print every line',
      () => {
        (consumer as any).seen = `stdout:\n${out}\nstderr:\n${err}`;
        if (consumer!.exitCode !== null) throw new Error(`klab consume exited early (${consumer!.exitCode}): ${err}`);
        const got = out.split('\n').filter(Boolean);
        return lines.every((l) => got.some((g) => g.endsWith(` ${l}`))) && got;
      },
      60_000,
    ).catch((e) => {
      throw new Error(`${e.message}; klab printed ${(consumer as any).seen}`);
    });
    // Each line is "<partition> <value>", a partition of the 3-partition topic; nothing printed twice.
    for (const line of received) expect(line).toMatch(/^[0-2] line-\d$/);
    expect(received).toHaveLength(lines.length);
    const id = err.match(/^% Consumer (\S+) started/m)?.[1];
    expect(id).toBeDefined();
    await waitFor('the rebalance notice', () => /^% Group \S+ rebalanced \(memberid [^)]*\): assigned: /m.test(err), 30_000);
    expect(err).toContain(`${topic} [`);

    consumer.kill('SIGINT');
    expect(await exited(consumer, 30_000)).toBe(0);
    expect(err).toMatch(new RegExp(`% Consumer ${id} stopped`));
    const res = await api().get(`/api/consumers/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('stopped');
  });

  it('produces keyed values given on the command line, reporting offsets as JSON lines', async () => {
    const run = await klab(['produce', topic, '-k', 'user-1', 'a', 'b', '--json']);
    expect(run.code).toBe(0);
    const results = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(results).toHaveLength(2);
    // One key, one partition: Kafka keeps a key's messages in order.
    expect(results[0].partition).toBe(results[1].partition);
    expect(Number(results[1].offset)).toBe(Number(results[0].offset) + 1);
  });

  it('shows a refused request as the server sentence and exits 1', async () => {
    const missing = uniqueName('no-such-topic');
    const run = await klab(['topic', 'describe', missing]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^% ERROR: \S.+\n$/);
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // a sentence, not a stack

    const tooMany = await klab(['topic', 'create', uniqueName('rf'), '-p', '1', '-r', '99']);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/^% ERROR: .*replication ?factor/im);
  });

  it('answers an unknown command or option with usage and exit 1', async () => {
    const run = await klab(['frobnicate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('% ERROR: unknown command "frobnicate"');
    expect(run.stderr).toContain('Usage: klab');

    const bad = await klab(['topic', 'create', 'x', '-p', 'three']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('% ERROR: option -p needs a whole number');
  });

  it('prints parseable JSON with --json', async () => {
    for (const args of [['me'], ['consumers'], ['groups'], ['events', '--limit', '5']]) {
      const run = await klab([...args, '--json']);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(() => JSON.parse(run.stdout)).not.toThrow();
    }
    const me = JSON.parse((await klab(['me', '--json'])).stdout);
    expect(me.role).toBe('instructor');
  });
  describe('Kafka 4 group protocols', () => {
    const jobs = uniqueName('cli-jobs');
    const started: Array<ReturnType<typeof running>> = [];

    beforeAll(async () => {
      const res = await api().post('/api/topics').send({ name: jobs, partitions: 1, replicationFactor: 3 });
      expect(res.status).toBe(201);
    });

    afterAll(async () => {
      for (const io of started) {
        if (io.child.exitCode === null) {
          io.child.kill('SIGKILL');
          await exited(io.child, 5_000).catch(() => undefined);
        }
      }
      await api().delete(`/api/topics/${jobs}`);
    });

    it('--protocol consumer: the rebalance line carries the member epoch (KIP-848)', async () => {
      const group = uniqueName('cli-new-g');
      const io = running(['consume', topic, '-G', group, '--protocol', 'consumer']);
      started.push(io);
      const line = await until(io, 'a rebalance line with an epoch', () => io.err.match(/^% Group (\S+) rebalanced \(memberid [^,)]+, epoch (\d+)\): assigned: (.+)$/m));
      expect(line[1]).toBe(group);
      expect(Number(line[2])).toBeGreaterThan(0);
      expect(line[3]).toContain(`${topic} [`);
      const id = io.err.match(/^% Consumer (\S+) started: group \S+, topic \S+, consumer protocol/m)?.[1];
      expect(id).toBeDefined();

      const listed = await klab(['consumers']);
      const row = listed.stdout.split('\n').find((l) => l.startsWith(`${id} `));
      expect(row).toMatch(/\sconsumer\s.*\s(running|joining)\s+\d+\s/);

      io.child.kill('SIGINT');
      expect(await exited(io.child, 30_000)).toBe(0);
    });

    it('--protocol share --ack manual: a release typed on stdin brings the record back with delivery 2; klab ack rejects it from another terminal', async () => {
      const produced = await klab(['produce', jobs, 'job1', 'job2', 'job3']);
      expect(produced.code).toBe(0);
      const group = uniqueName('cli-workers');
      const io = running(['consume', jobs, '-G', group, '-b', '--protocol', 'share', '--ack', 'manual'], 'pipe');
      started.push(io);
      await until(io, 'the hint of manual mode', () => /^% Manual acknowledgement: type "r 5" to release offset 5/m.test(io.err));
      const id = io.err.match(/^% Consumer (\S+) started: group \S+, topic \S+, share\/manual protocol/m)?.[1];
      expect(id).toBeDefined();

      // A manual member holds one record at a time (each member of the partition gets its own); its
      // default line is partition:offset, a tab, the value. Typed as a student would: release it.
      await until(io, 'job1', () => io.out.split('\n').includes('0:0\tjob1'));
      io.child.stdin!.write('r 0\n');
      await until(io, 'the release result', () => io.err.includes(`% ${jobs} [0] @0 released\n`));
      // It comes back, to this consumer (the only member), with delivery count 2.
      await until(io, 'job1 again with delivery 2', () => io.out.split('\n').includes('0:0\tjob1\t(delivery 2)'));
      expect(io.err).toMatch(new RegExp(`^% ${jobs} \\[0\\] @0 redelivered \\(delivery 2\\): released$`, 'm'));

      // `l` lists what it holds now.
      io.child.stdin!.write('l\n');
      await until(io, 'the held list', () => new RegExp(`^% held: ${jobs} \\[0\\] @0 "job1" \\(\\d+ s ago, delivery 2\\)$`, 'm').test(io.err));

      // Another terminal rejects it: klab ack prints the result; the consuming terminal hears of it.
      const rejected = await klab(['ack', id!, 'reject', `${jobs}:0:0`]);
      expect({ code: rejected.code, stdout: rejected.stdout, stderr: rejected.stderr }).toEqual({ code: 0, stdout: `${jobs} [0] @0 rejected\n`, stderr: '' });
      await until(io, 'the rejection made elsewhere', () => io.err.includes(`% ${jobs} [0] @0 rejected (acknowledged elsewhere)\n`));
      await until(io, 'the archived line', () => io.err.includes(`% ${jobs} [0] @0 archived: rejected\n`));

      // A record it no longer holds is refused with the server's sentence, and klab ack exits 1.
      const again = await klab(['ack', id!, 'accept', '0:0']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^% ERROR: .*does not hold/m);

      // Typed ahead, as a script would: each command waits for its record to be delivered.
      io.child.stdin!.write('a 1\na 0:2\n');
      await until(io, 'job2 and job3 accepted', () => io.err.includes(`% ${jobs} [0] @1 accepted\n`) && io.err.includes(`% ${jobs} [0] @2 accepted\n`));
      expect(io.out.split('\n').filter(Boolean)).toEqual(['0:0\tjob1', '0:0\tjob1\t(delivery 2)', '0:1\tjob2', '0:2\tjob3']);

      io.child.kill('SIGINT');
      expect(await exited(io.child, 30_000)).toBe(0);
      expect(io.err).toMatch(new RegExp(`% Consumer ${id} stopped and left its group \\(4 message\\(s\\) received\\)`));
    });
  });
});

describe('klab and the class', () => {
  // A student's klab keeps its config in their home folder: a folder of this test's, never the real one.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-home-'));
  const asStudent = { HOME: home, KLAB_TOKEN: undefined, KLAB_SERVER: undefined };
  const made: string[] = [];
  let original: { joinCode: string; joinOpen: boolean; quotas: Record<string, number> } | undefined;

  afterAll(async () => {
    // The class as it was for the files after this one: settings back, these students gone.
    if (original) await api().patch('/api/class').send({ joinOpen: original.joinOpen, quotas: original.quotas });
    for (const id of made) await api().delete(`/api/students/${id}?purge=true`);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('klab students add prints each new student with their token; klab students lists them', async () => {
    const ada = uniqueName('Ada');
    const grace = uniqueName('Grace');
    const added = await klab(['students', 'add', ada, grace]);
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/^% 2 student\(s\) added\. Tokens are shown only this once/) });
    const rows = added.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID\s+NAME\s+TOKEN$/);
    const students = rows.slice(1).map((r) => r.split(/\s{2,}/));
    expect(students.map((r) => r[1])).toEqual([ada, grace]);
    made.push(...students.map((r) => r[0]));
    // Each token is a working student token, printed whole.
    for (const [id, name, token] of students) {
      expect((await api(token).get('/api/me').expect(200)).body).toMatchObject({ id, name, role: 'student' });
    }

    const listed = await klab(['students', '--json']);
    expect(listed.code).toBe(0);
    const roster = JSON.parse(listed.stdout);
    expect(roster).toEqual(expect.arrayContaining([expect.objectContaining({ id: students[0][0], name: ada }), expect.objectContaining({ id: students[1][0], name: grace })]));
    expect(JSON.stringify(roster)).not.toContain(students[0][2]); // the roster never shows a token

    const table = await klab(['students']);
    expect(table.stdout).toMatch(new RegExp(`^${students[0][0]}\\s+${ada}\\s+`, 'm'));
  });

  it('klab join saves the token and the server; the next klab, with neither in its environment, is that student', async () => {
    const settings = await klab(['class', '--json']);
    expect(settings.code).toBe(0);
    const code = JSON.parse(settings.stdout).joinCode;
    const name = uniqueName('Lin');
    const joined = await klab(['join', code, name], '', { HOME: home, KLAB_TOKEN: undefined });
    expect(joined.code).toBe(0);
    expect(joined.stderr).toMatch(new RegExp(`^% Joined ${sharedLab().url} as ${name} \\(student id ([a-z0-9]{6})\\)$`, 'm'));
    expect(joined.stderr).toContain(`% Your token is saved in ${path.join(home, '.klab-token')} and the server in ${path.join(home, '.klab-server')}`);
    const id = joined.stderr.match(/student id ([a-z0-9]{6})/)![1];
    made.push(id);
    const tokenFile = path.join(home, '.klab-token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(home, '.klab-server'), 'utf8').trim()).toBe(sharedLab().url);

    const me = await klab(['me', '--json'], '', asStudent);
    expect({ code: me.code, stderr: me.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(me.stdout)).toMatchObject({ id, name, role: 'student' });

    // The instructor's commands are not a student's: the server's sentence, exit 1.
    const refused = await klab(['students'], '', asStudent);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^% ERROR: \S.+\n$/);
    expect((await klab(['class'], '', asStudent)).code).toBe(1);
  });

  it('klab students add reads a class list on stdin; klab login checks a handed-out token before saving it', async () => {
    const names = [uniqueName('Kim'), uniqueName('Noor')];
    const added = await klab(['students', 'add', '--json'], `${names[0]}\n\n  ${names[1]}  \n`);
    expect(added.code).toBe(0);
    const students = JSON.parse(added.stdout) as Array<{ id: string; name: string; token: string }>;
    expect(students.map((s) => s.name)).toEqual(names);
    made.push(...students.map((s) => s.id));

    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-home-'));
    try {
      const wrong = await klab(['login', 'not-a-token'], '', { HOME: elsewhere, KLAB_TOKEN: undefined });
      expect(wrong.code).toBe(1);
      expect(fs.existsSync(path.join(elsewhere, '.klab-token'))).toBe(false);
      const login = await klab(['login', students[1].token], '', { HOME: elsewhere, KLAB_TOKEN: undefined });
      expect(login.code).toBe(0);
      expect(login.stderr).toContain(`% Signed in to ${sharedLab().url} as ${names[1]} (student, id ${students[1].id})`);
      const me = await klab(['me', '--json'], '', { HOME: elsewhere, KLAB_TOKEN: undefined, KLAB_SERVER: undefined });
      expect(JSON.parse(me.stdout)).toMatchObject({ id: students[1].id, role: 'student' });
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('klab students token: the new token works, the old one (in the saved file) is refused at once', async () => {
    const oldToken = fs.readFileSync(path.join(home, '.klab-token'), 'utf8').trim();
    const me = JSON.parse((await klab(['me', '--json'], '', asStudent)).stdout);
    // By name, whatever its case, as an instructor would type it.
    const reissued = await klab(['students', 'token', me.name.toUpperCase()]);
    expect(reissued.code).toBe(0);
    const newToken = reissued.stdout.trim();
    expect(newToken).not.toBe(oldToken);
    expect(reissued.stderr).toBe(`% New token for ${me.name} (${me.id}), shown only this once; their old token no longer works\n`);

    const stale = await klab(['me'], '', asStudent);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^% ERROR: /);
    const fresh = await klab(['me', '--json'], '', { ...asStudent, KLAB_TOKEN: newToken });
    expect(JSON.parse(fresh.stdout)).toMatchObject({ id: me.id, role: 'student' });
  });

  it('klab class set changes quotas and joining; a closed class refuses klab join with the sentence', async () => {
    original = JSON.parse((await klab(['class', '--json'])).stdout);
    const topics = original!.quotas.topics + 1;
    const set = await klab(['class', 'set', `quotas.topics=${topics}`, 'joinOpen=false']);
    expect(set.code).toBe(0);
    expect(set.stderr).toBe(`% Class settings changed: quotas.topics=${topics}, joinOpen=false\n`);
    expect(set.stdout).toMatch(/^Join code: \S+ \(joining CLOSED\)$/m);
    expect(set.stdout).toMatch(new RegExp(`^  topics\\s+${topics}$`, 'm'));
    expect((await api().get('/api/class').expect(200)).body).toMatchObject({ joinOpen: false, quotas: expect.objectContaining({ topics }) });

    const closed = await klab(['join', (await api().get('/api/class')).body.joinCode, uniqueName('Late')], '', { HOME: home, KLAB_TOKEN: undefined });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toBe('% ERROR: Joining is closed; ask the instructor.\n');

    // A typo is caught before anything is sent.
    const typo = await klab(['class', 'set', 'joinopen=true']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('% ERROR: unknown class setting "joinopen"');

    const rotated = await klab(['class', 'set', 'rotate', 'joinOpen=true']);
    expect(rotated.code).toBe(0);
    const after = (await api().get('/api/class')).body;
    expect(after.joinCode).not.toBe(original!.joinCode);
    expect(after.joinOpen).toBe(true);
  });

  it('klab students rm --purge: the student is gone from the roster and their token is refused', async () => {
    const name = uniqueName('Bo');
    const added = await api().post('/api/students').send({ name }).expect(201);
    const topic = uniqueName('mine');
    await api(added.body.token).post('/api/topics').send({ name: topic, partitions: 1, replicationFactor: 1 }).expect(201);
    const onCluster = `s-${added.body.id}.${topic}`;
    const names = async () => (await api().get('/api/topics').expect(200)).body.map((t: { name: string }) => t.name);
    expect(await names()).toContain(onCluster);

    const rm = await klab(['students', 'rm', added.body.id, '--purge']);
    expect(rm.code).toBe(0);
    expect(rm.stderr).toBe(`% Removed ${name} (${added.body.id}): their token no longer works and their consumers are stopped; their topics are deleted\n`);
    await api(added.body.token).get('/api/me').expect(401);
    const roster = JSON.parse((await klab(['students', '--json'])).stdout);
    expect(roster.map((s: { id: string }) => s.id)).not.toContain(added.body.id);
    expect(await names()).not.toContain(onCluster);

    const again = await klab(['students', 'rm', added.body.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`% ERROR: No student in the class has the id or name "${added.body.id}" (klab students lists them).\n`);
  });
});

describe('klab, the guided labs and grading', () => {
  const CHECKPOINTS = ['replicated-topic', 'pub-sub', 'load-sharing', 'consumer-failover', 'broker-failover', 'no-data-loss', 'incremental-rebalance', 'share-group'];
  let student: { id: string; name: string; token: string };
  const topic = uniqueName('cli-graded');
  const asStudent = () => ({ KLAB_TOKEN: student.token });

  beforeAll(async () => {
    student = (await api().post('/api/students').send({ name: uniqueName('Rui') }).expect(201)).body;
  });

  afterAll(async () => {
    if (student) await api().delete(`/api/students/${student.id}?purge=true`);
  });

  it('klab lab list and klab lab show A: the labs, and the steps with their API and klab lines', async () => {
    const list = await klab(['lab', 'list'], '', asStudent());
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    const rows = list.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^LAB\s+TITLE\s+KAFKA\s+PASSED\s+CHECKPOINTS$/);
    expect(rows.slice(1).map((r) => r[0])).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    // Nothing done yet: lab A's checkpoints are 0 of them.
    expect(rows[1]).toMatch(/\s0\/\d\s+replicated-topic,/);

    const show = await klab(['lab', 'show', 'a'], '', asStudent());
    expect(show.code).toBe(0);
    const lines = show.stdout.split('\n');
    expect(lines[0]).toMatch(/^Lab A: \S/);
    expect(lines.filter((l) => /^\d+\. \S/.test(l)).length).toBeGreaterThanOrEqual(3);
    expect(lines.some((l) => /^ {3}API: {3}(GET|POST|DELETE|PATCH) \/api\//.test(l))).toBe(true);
    expect(lines.some((l) => /^ {3}klab: {2}klab /.test(l))).toBe(true);
    expect(lines).toContain('   · checkpoint replicated-topic not passed yet');

    const unknown = await klab(['lab', 'show', 'Z'], '', asStudent());
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: '% ERROR: There is no lab Z; the labs are A to G.\n' });
  });

  it('a student who creates a topic with 3 partitions and replication factor 3 passes replicated-topic, in klab lab check and the CSV', async () => {
    await api(student.token).post('/api/topics').send({ name: topic, partitions: 3, replicationFactor: 3 }).expect(201);

    const check = await waitFor('replicated-topic passed in klab lab check A', async () => {
      const run = await klab(['lab', 'check', 'A'], '', asStudent());
      return run.code === 0 && /^✓ replicated-topic\s+at \d\d:\d\d:\d\d/m.test(run.stdout) && run;
    }, 30_000, 500);
    expect(check.stdout).toMatch(/^Lab A: 1 of \d checkpoints passed$/m);
    // Its evidence names the student's topic by their own name.
    expect(check.stdout).toContain(topic);
    expect(check.stdout).toMatch(/^ {4}events #\d+/m);
    expect((await klab(['lab', 'show', 'A'], '', asStudent())).stdout).toContain('   ✓ checkpoint replicated-topic passed');

    const csv = await klab(['grading', '--csv']);
    expect({ code: csv.code, stderr: csv.stderr }).toEqual({ code: 0, stderr: '' });
    const csvLines = csv.stdout.split(/\r?\n/).filter(Boolean);
    expect(csvLines[0]).toBe(['student', 'name', ...CHECKPOINTS].join(','));
    const row = csvLines.find((l) => l.startsWith(`${student.id},`))!.split(',');
    expect(row).toEqual([student.id, student.name, 'true', ...CHECKPOINTS.slice(1).map(() => 'false')]);
    // Exactly what the route gives, so `> grades.csv` is the server's file.
    expect(csv.stdout).toBe((await api().get('/api/grading?format=csv').expect(200)).text);

    // The instructor's report of this student, by name, with the evidence's summary under the pass.
    const one = await klab(['grading', student.name]);
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n')[0]).toBe(`${student.name} (${student.id}): 1 of 8 checkpoints passed`);
    expect(one.stdout).toMatch(/^✓ replicated-topic .*\n {4}\S.*\n {4}events #\d+/m);

    const table = await klab(['grading']);
    expect(table.stdout).toMatch(new RegExp(`^${student.name}\\s+${student.id}\\s+✓(\\s+·){7}\\s+1/8$`, 'm'));

    // The timeline says so too, as the student reads it.
    const events = await klab(['events', '--types', 'checkpoint.passed'], '', asStudent());
    expect(events.stdout).toMatch(new RegExp(`checkpoint\\.passed\\s+student ${student.id} passed replicated-topic: `));
  });

  it('klab lab check: the instructor gets every student; a student asking for the class CSV gets the sentence', async () => {
    const all = await klab(['lab', 'check', 'A']);
    expect(all.code).toBe(0);
    // Lab A's checkpoints, in the order its steps reach them.
    const head = all.stdout.split('\n')[0].split(/\s+/);
    expect([head[0], head[1], head[head.length - 1]]).toEqual(['STUDENT', 'ID', 'PASSED']);
    expect(head.slice(2, -1).sort()).toEqual(['load-sharing', 'pub-sub', 'replicated-topic']);
    const row = all.stdout.split('\n').find((l) => l.startsWith(`${student.name} `))!.split(/\s+/);
    expect(row[2 + head.slice(2).indexOf('replicated-topic')]).toBe('✓');
    expect(row[row.length - 1]).toBe('1/3');

    const refused = await klab(['grading', '--csv'], '', asStudent());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^% ERROR: \S.+\n$/);
  });
});
