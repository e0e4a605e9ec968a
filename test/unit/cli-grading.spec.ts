// klab's guided labs and grading: what `klab lab list|show|check` and `klab grading` print, and the
// two timeline lines grading adds (messages.consumed, checkpoint.passed). The formatting is pure; the
// commands run as processes against a stand-in server (HTTP on 127.0.0.1, port 0) that answers the
// contract's shapes. The real server is in test/e2e/cli.e2e.ts.
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gfmt = require('../../clients/cli/lib/grading-format');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { describeEvent, clock } = require('../../clients/cli/lib/format');

const KLAB = path.resolve(__dirname, '../../clients/cli/klab.js');
const AT = '2026-12-02T10:41:07.120Z';

const IDS = ['replicated-topic', 'pub-sub', 'load-sharing', 'consumer-failover', 'broker-failover', 'no-data-loss', 'incremental-rebalance', 'share-group'];

/** A CheckpointResult; passed ones carry evidence. */
function cp(id: string, passed = false) {
  return {
    id, title: `title of ${id}`, passed, at: passed ? AT : null,
    evidence: passed ? { summary: `why ${id} passed`, events: [12, 15], consumers: ['c-1', 'c-2'], messages: [] } : null,
  };
}

const report = (id: string, name: string, passed: string[]) => ({
  student: { id, name, joinedAt: AT, lastSeen: AT, consumers: 1, topics: 1, checkpoints: passed },
  checkpoints: IDS.map((c) => cp(c, passed.includes(c))),
});

const labA = {
  id: 'A', title: 'Replication and consumer groups', summary: 'Topics, producers and groups.', kafka: '3.9+',
  steps: [
    { n: 1, text: 'Create a replicated topic.', watch: 'Every partition has a leader and three replicas.',
      api: ['POST /api/topics {"name":"failsafe-test-topic","partitions":4,"replicationFactor":3}'],
      cli: 'klab topic create failsafe-test-topic -p 4 -r 3', checkpoint: 'replicated-topic', passed: true },
    { n: 2, text: 'Produce a few messages.', watch: 'Offsets grow per partition.', api: 'POST /api/topics/failsafe-test-topic/messages {"value":"m1"}',
      cli: ['klab produce failsafe-test-topic m1', 'klab produce failsafe-test-topic m2'], checkpoint: null, passed: null },
    { n: 3, text: 'Two consumers in two groups.', watch: 'Both get every message.', api: [], cli: [], checkpoint: 'pub-sub', passed: false },
  ],
};

describe('timeline lines of grading', () => {
  it('says what a consumer received, partition by partition, ranges folded', () => {
    const ev = { type: 'messages.consumed', consumerId: 'c-1', groupId: 'g', topic: 't', count: 7, offsets: { '0': [['0', '6']] } };
    expect(describeEvent(ev)).toBe('consumer c-1 received 7 of t [0: 0–6] (group g)');
    const several = { ...ev, count: 5, offsets: { '10': [['4', '4']], '2': [['3', '4'], ['9', '9']] } };
    expect(describeEvent(several)).toBe('consumer c-1 received 5 of t [2: 3–4,9; 10: 4] (group g)');
  });

  it('says which student passed which checkpoint, with the evidence in a sentence', () => {
    const ev = { type: 'checkpoint.passed', actor: 'system', studentId: 'ab12cd', checkpoint: 'pub-sub', evidence: { summary: 'c-1 and c-2 both received t [0] @3' } };
    expect(describeEvent(ev)).toBe('student ab12cd passed pub-sub: c-1 and c-2 both received t [0] @3');
    expect(describeEvent({ ...ev, evidence: null })).toBe('student ab12cd passed pub-sub');
  });
});

describe('the labs on a terminal', () => {
  const labs = [
    { id: 'A', title: 'Replication and consumer groups', summary: '', kafka: '3.9+', checkpoints: ['replicated-topic', 'pub-sub', 'load-sharing'], passed: ['replicated-topic'] },
    { id: 'E', title: 'Quotas', summary: '', kafka: '3.9+', checkpoints: [], passed: [] },
  ];

  it('lists the labs with how many checkpoints the student passed', () => {
    expect(gfmt.renderLabs(labs).split('\n')).toEqual([
      'LAB  TITLE                            KAFKA  PASSED  CHECKPOINTS',
      'A    Replication and consumer groups  3.9+   1/3     replicated-topic,pub-sub,load-sharing',
      'E    Quotas                           3.9+   -       -',
    ]);
  });

  it('shows no count to the instructor, who is not graded', () => {
    expect(gfmt.renderLabs(labs, false).split('\n')[1]).toMatch(/^A\s+Replication and consumer groups\s+3\.9\+\s+-\s+replicated-topic/);
  });

  it('numbers the steps with what to do, what to watch, the API and klab lines, and ✓/· for the checkpoint', () => {
    expect(gfmt.renderLab(labA).split('\n')).toEqual([
      'Lab A: Replication and consumer groups (Kafka 3.9+)',
      'Topics, producers and groups.',
      '',
      '1. Create a replicated topic.',
      '   watch: Every partition has a leader and three replicas.',
      '   API:   POST /api/topics {"name":"failsafe-test-topic","partitions":4,"replicationFactor":3}',
      '   klab:  klab topic create failsafe-test-topic -p 4 -r 3',
      '   ✓ checkpoint replicated-topic passed',
      '',
      '2. Produce a few messages.',
      '   watch: Offsets grow per partition.',
      '   API:   POST /api/topics/failsafe-test-topic/messages {"value":"m1"}',
      '   klab:  klab produce failsafe-test-topic m1',
      '   klab:  klab produce failsafe-test-topic m2',
      '',
      '3. Two consumers in two groups.',
      '   watch: Both get every message.',
      '   · checkpoint pub-sub not passed yet',
    ]);
  });

  it("names a step's checkpoint without a mark for the instructor (passed is null)", () => {
    const lab = { ...labA, steps: [{ ...labA.steps[0], passed: null }] };
    expect(gfmt.renderLab(lab).split('\n').pop()).toBe('   checkpoint replicated-topic');
  });

  it("takes a lab's checkpoints from its steps, once each, in step order", () => {
    expect(gfmt.labCheckpoints({ steps: [...labA.steps, { n: 4, checkpoint: 'pub-sub' }] })).toEqual(['replicated-topic', 'pub-sub']);
  });
});

describe('grading on a terminal', () => {
  const ada = report('k3x9qa', 'Ada Lovelace', ['replicated-topic', 'pub-sub']);
  const bo = report('p0m2zz', 'Bo', []);

  it("shows one student's checkpoints, passed with when, and the evidence of each pass", () => {
    const lines = gfmt.renderStudentGrading(ada).split('\n');
    expect(lines[0]).toBe('Ada Lovelace (k3x9qa): 2 of 8 checkpoints passed');
    expect(lines[1]).toBe(`✓ replicated-topic       at ${clock(AT)}  title of replicated-topic`);
    expect(lines[2]).toBe('    why replicated-topic passed');
    expect(lines[3]).toBe('    events #12, #15 · consumers c-1, c-2');
    // Not passed: no time, the title in the same column.
    expect(lines[7]).toBe(`· ${'load-sharing'.padEnd(21)}  ${' '.repeat(`at ${clock(AT)}`.length)}  title of load-sharing`);
    expect(lines).toHaveLength(1 + 8 + 2 * 2);
  });

  it('shows the class as students × checkpoints with a count per student', () => {
    const lines = gfmt.renderGrading([ada, bo]).split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['STUDENT', 'ID', ...IDS, 'PASSED']);
    expect(lines[1].split(/\s{2,}/)).toEqual(['Ada Lovelace', 'k3x9qa', '✓', '✓', '·', '·', '·', '·', '·', '·', '2/8']);
    expect(lines[2].split(/\s{2,}/)).toEqual(['Bo', 'p0m2zz', '·', '·', '·', '·', '·', '·', '·', '·', '0/8']);
    expect(gfmt.renderGrading([])).toBe('(no students in the class yet)');
  });

  it("lab check: a student's checkpoints of one lab, or a sentence for a lab without any", () => {
    const ids = gfmt.labCheckpoints(labA);
    expect(gfmt.renderOwnCheck(gfmt.onlyCheckpoints(ada, ids), labA).split('\n').filter((l: string) => /^[✓·] /.test(l))).toEqual([
      `✓ replicated-topic  at ${clock(AT)}  title of replicated-topic`,
      `✓ pub-sub           at ${clock(AT)}  title of pub-sub`,
    ]);
    expect(gfmt.renderOwnCheck(gfmt.onlyCheckpoints(ada, ids), labA).split('\n')[0]).toBe('Lab A: 2 of 2 checkpoints passed');
    const labE = { id: 'E', steps: [{ n: 1, checkpoint: null }] };
    expect(gfmt.renderOwnCheck(gfmt.onlyCheckpoints(ada, gfmt.labCheckpoints(labE)), labE)).toBe('Lab E has no checkpoint: nothing in it is graded.');
  });

  it("lab check: the instructor's view is the class restricted to the lab, or a sentence", () => {
    const ids = gfmt.labCheckpoints(labA);
    const lines = gfmt.renderClassCheck([ada, bo].map((r) => gfmt.onlyCheckpoints(r, ids)), labA, ids).split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['STUDENT', 'ID', 'replicated-topic', 'pub-sub', 'PASSED']);
    expect(lines[2].split(/\s{2,}/)).toEqual(['Bo', 'p0m2zz', '·', '·', '0/2']);
    expect(gfmt.renderClassCheck([], null, null)).toMatch(/^No students in the class yet/);
  });
});

// ------------------------------------------------------------------------------ the commands, as processes

const CSV = 'student,name,replicated-topic,pub-sub\r\nk3x9qa,"Lovelace, Ada",true,false\r\n';

/** The routes klab lab and klab grading use, for a caller of the given role; every call is kept. */
class FakeLab {
  readonly calls: string[] = [];
  role: 'instructor' | 'student' = 'instructor';
  private server!: http.Server;
  url = '';

  async start() {
    this.server = http.createServer((req, res) => {
      this.calls.push(`${req.method} ${req.url}`);
      const send = (status: number, body: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      const student = this.role === 'student';
      const url = req.url!;
      if (url === '/api/me') return send(200, student ? { id: 'k3x9qa', name: 'Ada Lovelace', role: 'student' } : { id: 'instructor', name: 'Instructor', role: 'instructor' });
      if (url === '/api/labs/A' || url === '/api/labs/a') return send(200, labA);
      if (url.startsWith('/api/labs/')) return send(404, { statusCode: 404, message: `There is no lab ${decodeURIComponent(url.slice(10))}; the labs are A to G.` });
      if (url === '/api/grading?format=csv') return student ? send(403, { statusCode: 403, message: 'Only the instructor may do that.' }) : send(200, CSV, 'text/csv; charset=utf-8');
      if (url === '/api/grading') return student ? send(403, { statusCode: 403, message: 'Only the instructor may do that.' }) : send(200, [report('k3x9qa', 'Ada Lovelace', ['pub-sub']), report('p0m2zz', 'Bo', [])]);
      if (url === '/api/students') return student ? send(403, { statusCode: 403, message: 'Only the instructor may do that.' }) : send(200, [report('k3x9qa', 'Ada Lovelace', []).student, report('p0m2zz', 'Bo', []).student]);
      if (url === '/api/grading/k3x9qa') return send(200, report('k3x9qa', 'Ada Lovelace', ['pub-sub']));
      if (url.startsWith('/api/grading/')) return send(404, { statusCode: 404, message: `There is no student ${url.slice(13)}.` });
      send(404, { statusCode: 404, message: `no route ${req.method} ${url}` });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop() {
    return new Promise((r) => this.server.close(r));
  }
}

function klab(lab: FakeLab, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [KLAB, ...args], { env: { ...process.env, KLAB_SERVER: lab.url, KLAB_TOKEN: 't' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}

describe('klab lab and klab grading (against a stand-in server)', () => {
  let lab: FakeLab;

  beforeEach(async () => {
    lab = new FakeLab();
    await lab.start();
  });
  afterEach(() => lab.stop());

  it('klab grading --csv prints the CSV exactly as the server wrote it', async () => {
    expect(await klab(lab, ['grading', '--csv'])).toEqual({ code: 0, out: CSV, err: '' });
    expect(lab.calls).toEqual(['GET /api/grading?format=csv']);
  });

  it('klab grading --csv as a student: the server sentence, exit 1; --csv with a student is a usage error', async () => {
    lab.role = 'student';
    expect(await klab(lab, ['grading', '--csv'])).toEqual({ code: 1, out: '', err: '% ERROR: Only the instructor may do that.\n' });
    const both = await klab(lab, ['grading', '--csv', 'ada']);
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/^% ERROR: --csv is the whole class/);
  });

  it('klab grading <name>: the instructor finds the student by name and shows their report', async () => {
    const run = await klab(lab, ['grading', 'ada']);
    expect(run.code).toBe(0);
    expect(run.out.split('\n')[0]).toBe('Ada Lovelace (k3x9qa): 1 of 8 checkpoints passed');
    expect(lab.calls).toEqual(['GET /api/students', 'GET /api/grading/k3x9qa']);
    const unknown = await klab(lab, ['grading', 'zed']);
    expect(unknown).toEqual({ code: 1, out: '', err: '% ERROR: No student in the class has the id or name "zed" (klab students lists them).\n' });
  });

  it('klab grading as a student shows their own report; another id gets the server sentence', async () => {
    lab.role = 'student';
    const own = await klab(lab, ['grading']);
    expect(own.out).toMatch(/^Ada Lovelace \(k3x9qa\): 1 of 8 checkpoints passed\n/);
    expect(lab.calls).toEqual(['GET /api/me', 'GET /api/grading/k3x9qa']);
    expect((await klab(lab, ['grading', 'ada lovelace'])).out).toMatch(/^Ada Lovelace \(k3x9qa\)/);
    expect(await klab(lab, ['grading', 'p0m2zz'])).toEqual({ code: 1, out: '', err: '% ERROR: There is no student p0m2zz.\n' });
  });

  it('klab lab check A: a student gets their checkpoints of lab A; the instructor every student', async () => {
    lab.role = 'student';
    const own = await klab(lab, ['lab', 'check', 'A']);
    expect(own.code).toBe(0);
    expect(own.out.split('\n').filter((l) => /^[✓·] /.test(l)).map((l) => l.slice(0, 18).trim())).toEqual(['· replicated-topic', '✓ pub-sub']);
    lab.role = 'instructor';
    const all = await klab(lab, ['lab', 'check', 'a']);
    expect(all.out.split('\n')[0].split(/\s+/)).toEqual(['STUDENT', 'ID', 'replicated-topic', 'pub-sub', 'PASSED']);
    expect(all.out).toMatch(/^Ada Lovelace\s+k3x9qa\s+·\s+✓\s+1\/2$/m);
  });

  it('klab lab show: an unknown lab is the server sentence and exit 1; a bad action is usage', async () => {
    expect(await klab(lab, ['lab', 'show', 'Q'])).toEqual({ code: 1, out: '', err: '% ERROR: There is no lab Q; the labs are A to G.\n' });
    expect((await klab(lab, ['lab', 'A'])).out).toMatch(/^Lab A: Replication and consumer groups/);
    const bad = await klab(lab, ['lab', 'frob']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^% ERROR: usage: klab lab list/);
  });
});
