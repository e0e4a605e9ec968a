// Contract fuzzing: schemathesis drives every operation of openapi.yaml on the SHARED lab server with
// `--checks all` (server errors, schema and status conformance, content types, 405s for undeclared
// methods, valid input accepted, invalid input refused, auth). The lifecycle routes are left out here
// (test/contract/schemathesis.toml says why); the lifecycle chaos test drives them on a second server.
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

describe('openapi.yaml holds under contract fuzzing (schemathesis --checks all)', () => {
  let workDir: string;
  let topicsBefore: Set<string>;
  let consumersBefore: Set<string>;

  beforeAll(async () => {
    const version = await installedVersion();
    if (version !== SCHEMATHESIS_VERSION) {
      throw new Error(`schemathesis ${SCHEMATHESIS_VERSION} is not at ${SCHEMATHESIS_BIN} (found ${version ?? 'nothing'}): run scripts/test-prereqs.sh (npm test does).`);
    }
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-fuzz-'));
    topicsBefore = names((await api().get('/api/topics').expect(200)).body, 'name');
    consumersBefore = names((await api().get('/api/consumers').expect(200)).body, 'id');
  });

  afterAll(async () => {
    // What the fuzzer made stays out of the other tests' way: its consumers and topics go.
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
