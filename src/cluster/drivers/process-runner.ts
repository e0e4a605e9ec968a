import { spawn } from 'node:child_process';
import { driverFailed } from '../../common/lab-error';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short-lived command to completion with a deadline, optionally streaming its output lines
 * (for progress). The only place outside the process driver that starts programs.
 */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(e);
      return;
    }
    let stdout = '';
    let stderr = '';
    let partial = '';
    const onData = (which: 'out' | 'err') => (buf: Buffer) => {
      const s = buf.toString();
      if (which === 'out') stdout += s;
      else stderr += s;
      if (stdout.length > 1_000_000) stdout = stdout.slice(-500_000);
      if (opts.onLine) {
        partial += s;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) opts.onLine(l);
      }
    };
    child.stdout.on('data', onData('out'));
    child.stderr.on('data', onData('err'));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(driverFailed(`${cmd} did not finish within ${Math.round(opts.timeoutMs / 1000)} s.`));
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
