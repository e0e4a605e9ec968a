import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './lab-server';

/** The version scripts/test-prereqs.sh installs: one file holds it for both. */
export const SCHEMATHESIS_VERSION = fs.readFileSync(path.join(ROOT, 'test/contract/schemathesis.version'), 'utf8').trim();
/** Where scripts/test-prereqs.sh installs schemathesis. */
export const SCHEMATHESIS_BIN = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kafka-lab', 'venv', 'bin', 'schemathesis');

export interface FuzzRun {
  /** null when the run was stopped at the wall-clock budget. */
  exitCode: number | null;
  output: string;
  timedOut: boolean;
  seconds: number;
}

export interface FuzzOptions {
  url: string;
  token: string;
  seed: number;
  maxExamples: number;
  budgetMs: number;
  /** Where schemathesis may write its caches; nothing lands in the checkout. */
  workDir: string;
}

/**
 * Runs `schemathesis run openapi.yaml --checks all` against a lab server with the instructor token
 * and test/contract/schemathesis.toml (which operations are left out, and why). Its output is kept
 * whole: on failure it holds every failing case with a curl line that reproduces it.
 */
export function runSchemathesis(o: FuzzOptions): Promise<FuzzRun> {
  const args = [
    '--config-file', path.join(ROOT, 'test/contract/schemathesis.toml'),
    'run', path.join(ROOT, 'openapi.yaml'),
    '--url', o.url,
    '--header', `Authorization: Bearer ${o.token}`,
    '--checks', 'all',
    '--max-examples', String(o.maxExamples),
    '--seed', String(o.seed),
    // POST /api/consumers answers once the consumer joined its group: seconds, not milliseconds. The
    // same 60 s as max_response_time in schemathesis.toml; no route takes longer (topic create: 25 s).
    '--request-timeout', '60',
    '--generation-database', 'none',
    '--workers', '1',
    '--no-color',
  ];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS_BIN, args, { cwd: o.workDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.budgetMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: timedOut ? null : code, output, timedOut, seconds: Math.round((Date.now() - started) / 1000) });
    });
  });
}

/** The installed version, or null when schemathesis is not there (scripts/test-prereqs.sh installs it). */
export function installedVersion(): Promise<string | null> {
  if (!fs.existsSync(SCHEMATHESIS_BIN)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const child = spawn(SCHEMATHESIS_BIN, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.once('error', () => resolve(null));
    child.once('close', () => resolve(/version (\S+)/.exec(out)?.[1] ?? null));
  });
}

/** The "N failures" part of schemathesis's summary line, e.g. "3 failures, 1 error, 1 warning in 22.09s". */
export function summaryLine(output: string): string {
  const lines = output.trim().split('\n').filter((l) => /^=+ .* =+$/.test(l.trim()));
  return lines.length ? lines[lines.length - 1].replace(/=+/g, '').trim() : '(no summary: schemathesis stopped early)';
}
