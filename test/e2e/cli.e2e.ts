// The klab CLI against the shared lab server and its real cluster: what a student types, what they see.
import { ChildProcess, spawn } from 'node:child_process';
import { api, uniqueName, waitFor } from '../support/lab';
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
