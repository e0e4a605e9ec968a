// Contract fuzzing: schemathesis drives every operation of openapi.yaml on the SHARED lab server with
// `--checks all` (server errors, schema and status conformance, content types, 405s for undeclared
// methods, valid input accepted, invalid input refused, auth). The lifecycle routes are left out here
// (test/contract/schemathesis.toml says why); the lifecycle chaos test drives them on a second server.
// The class routes are fuzzed with the instructor token: PATCH /api/class may close joining, set quotas
// to 0, rotate the code or let students control brokers, so the settings are put back afterwards, and
// the students it adds are removed, for the files that run after this one on the same server.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { api, sharedLab } from '../support/lab';
import { installedVersion, runSchemathesis, SCHEMATHESIS_BIN, SCHEMATHESIS_VERSION, summaryLine } from '../support/schemathesis';

/** Fixed so CI is repeatable; set CONTRACT_FUZZ_SEED to explore other inputs. */
const SEED = Number(process.env.CONTRACT_FUZZ_SEED ?? 20261202);
const MAX_EXAMPLES = 25;
/** The run takes about a minute here; past this it is stopped and the test fails with what it printed. */
const BUDGET_MS = 5 * 60_000;

const names = (list: Array<{ name?: string; id?: string }>, key: 'name' | 'id') => new Set(list.map((x) => String(x[key])));

/** The class settings PATCH /api/class can set back exactly (the code itself rather than a rotation). */
const RESTORABLE = ['joinCode', 'joinOpen', 'studentsMayControlBrokers', 'quotas'] as const;

describe('openapi.yaml holds under contract fuzzing (schemathesis --checks all)', () => {
  let workDir: string;
  let topicsBefore: Set<string>;
  let consumersBefore: Set<string>;
  let studentsBefore: Set<string>;
  let settingsBefore: Record<string, unknown> | undefined;

  beforeAll(async () => {
    const version = await installedVersion();
    if (version !== SCHEMATHESIS_VERSION) {
      throw new Error(`schemathesis ${SCHEMATHESIS_VERSION} is not at ${SCHEMATHESIS_BIN} (found ${version ?? 'nothing'}): run scripts/test-prereqs.sh (npm test does).`);
    }
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-fuzz-'));
    topicsBefore = names((await api().get('/api/topics').expect(200)).body, 'name');
    consumersBefore = names((await api().get('/api/consumers').expect(200)).body, 'id');
    studentsBefore = names((await api().get('/api/students').expect(200)).body, 'id');
    const settings = (await api().get('/api/class').expect(200)).body;
    settingsBefore = Object.fromEntries(RESTORABLE.map((k) => [k, settings[k]]));
  });

  afterAll(async () => {
    // The class as it was: the fuzzer may have closed joining, zeroed quotas or changed the code.
    if (settingsBefore) expect((await api().patch('/api/class').send(settingsBefore).expect(200)).body).toMatchObject(settingsBefore);
    // What the fuzzer made stays out of the other tests' way: its students, consumers and topics go. Its
    // students never called anything (it has only the instructor's token), so there is nothing to purge;
    // `names` may have added hundreds at once, so they go a batch at a time.
    const students = (((await api().get('/api/students')).body ?? []) as Array<{ id: string }>).filter((x) => !studentsBefore?.has(x.id));
    for (let i = 0; i < students.length; i += 25) {
      await Promise.all(students.slice(i, i + 25).map((st) => api().delete(`/api/students/${encodeURIComponent(st.id)}`)));
    }
    const consumers = ((await api().get('/api/consumers')).body ?? []) as Array<{ id: string }>;
    for (const c of consumers.filter((x) => !consumersBefore?.has(x.id))) await api().delete(`/api/consumers/${encodeURIComponent(c.id)}`);
    const topics = ((await api().get('/api/topics')).body ?? []) as Array<{ name: string }>;
    for (const t of topics.filter((x) => !topicsBefore?.has(x.name))) await api().delete(`/api/topics/${encodeURIComponent(t.name)}`);
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it(`finds no server error, no schema violation and no undocumented status or content type (seed ${SEED})`, async () => {
    const lab = sharedLab();
    const run = await runSchemathesis({ url: lab.url, token: lab.token, seed: SEED, maxExamples: MAX_EXAMPLES, budgetMs: BUDGET_MS, workDir });
    const summary = summaryLine(run.output);
    process.stdout.write(`% schemathesis (seed ${SEED}, ${MAX_EXAMPLES} examples per operation): ${summary}, ${run.seconds} s\n`);
    if (run.timedOut || run.exitCode !== 0) {
      // The whole report: every failing case, with the curl line that reproduces it.
      throw new Error(
        `schemathesis ${run.timedOut ? `did not finish within ${BUDGET_MS / 1000} s` : `exited with ${run.exitCode}`}: ${summary}. ` +
          `Rerun with CONTRACT_FUZZ_SEED=${SEED}. What it reported:\n\n${run.output}`,
      );
    }
    // Exit 0 must mean that operations were tested, not that none were selected.
    const tested = /Tested:\s+(\d+)/.exec(run.output);
    expect(Number(tested?.[1] ?? 0)).toBeGreaterThanOrEqual(20);
    expect(summary).not.toMatch(/failure|error/);
  });
});
