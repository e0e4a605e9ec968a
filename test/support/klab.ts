// klab run the way a student runs it, against the shared lab server (test/e2e/cli.e2e.ts).
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { sharedLab, waitFor } from './lab';

export const KLAB = path.resolve(__dirname, '../../clients/cli/klab.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * klab's environment: the shared lab server and the instructor's token, changed by `over` (a key set
 * to undefined is removed, e.g. KLAB_TOKEN for a klab that must read its saved token).
 */
export function klabEnv(over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const { url, token } = sharedLab();
  const env: NodeJS.ProcessEnv = { ...process.env, KLAB_SERVER: url, KLAB_TOKEN: token };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs one klab command to its end; `input` goes to its stdin; `over` changes its environment (klabEnv). */
export function klab(args: string[], input = '', over: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [KLAB, ...args], { env: klabEnv(over), timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

/** Resolves with the exit code (or the signal's name) once `child` has exited, or throws at the deadline. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`klab did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? -1);
    });
  });
}

/** A long-running klab (consume) whose stdout and stderr are collected as they come. */
export function running(args: string[], stdin: 'ignore' | 'pipe' = 'ignore') {
  const child = spawn(process.execPath, [KLAB, ...args], { env: klabEnv(), stdio: [stdin, 'pipe', 'pipe'] });
  const io = { child, out: '', err: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (io.out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (io.err += d));
  return io;
}

/** Waits for `probe` over a running klab's output; a klab that exits first, or the deadline, fails with what it printed. */
export async function until<T>(io: ReturnType<typeof running>, what: string, probe: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, () => {
    const v = probe();
    if (!v && io.child.exitCode !== null) throw new Error(`klab exited early (${io.child.exitCode})`);
    return v;
  }, timeoutMs).catch((e) => {
    throw new Error(`${e.message}; klab printed\nstdout:\n${io.out}\nstderr:\n${io.err}`);
  });
}
