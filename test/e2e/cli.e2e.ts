// The klab CLI against the shared lab server and its real cluster: what a student types, what they see.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

const KLAB = path.resolve(__dirname, '../../clients/cli/klab.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function env(): NodeJS.ProcessEnv {
  const { url, token } = sharedLab();
  return { ...process.env, KLAB_SERVER: url, KLAB_TOKEN: token };
}

/** Runs one klab command to its end; `input` goes to its stdin. */
function klab(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [KLAB, ...args], { env: env(), timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

/** Resolves with the exit code (or the signal's name) once `child` has exited, or throws at the deadline. */
function exited(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`klab did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? -1);
    });
  });
}

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
});
