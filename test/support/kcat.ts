import { execFile, spawnSync } from 'node:child_process';

/** kcat is the outside client proving the cluster is real Kafka; CI installs it (.ci/run). */
export function kcatAvailable(): boolean {
  return spawnSync('kcat', ['-V']).status === 0;
}

/** Runs kcat to completion with a deadline; resolves with stdout. */
export function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) {
      child.stdin!.end(input);
    }
  });
}
