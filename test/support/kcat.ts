import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** kcat is the outside client proving the cluster is real Kafka; CI installs it (.ci/run). */
export function kcatAvailable(): boolean {
  return spawnSync('kcat', ['-V']).status === 0;
}

/**
 * Where scripts/test-prereqs.sh links a recent librdkafka (from the confluent-kafka wheel) as
 * librdkafka.so.1. Debian 12's kcat has librdkafka 2.0.2, whose SCRAM final message Kafka 4 refuses
 * (fixed in librdkafka 2.6.1); Kafka 3.9 still accepts it.
 */
export const RECENT_LIBRDKAFKA_DIR = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kafka-lab', 'venv', 'librdkafka');

/**
 * The environment to run kcat in for SASL/SCRAM on the class listener: Debian's kcat with the recent
 * librdkafka when test-prereqs put it there (else kcat's own, which works with Kafka 3.9 only).
 */
export function kcatEnv(): NodeJS.ProcessEnv {
  if (!fs.existsSync(path.join(RECENT_LIBRDKAFKA_DIR, 'librdkafka.so.1'))) return { ...process.env };
  const prev = process.env.LD_LIBRARY_PATH;
  return { ...process.env, LD_LIBRARY_PATH: prev ? `${RECENT_LIBRDKAFKA_DIR}:${prev}` : RECENT_LIBRDKAFKA_DIR };
}

/** The librdkafka version kcat runs with in `env` (from `kcat -V`), e.g. "2.16.0"; null when unknown. */
export function kcatLibrdkafkaVersion(env: NodeJS.ProcessEnv = process.env): string | null {
  const out = spawnSync('kcat', ['-V'], { env, encoding: 'utf8' }).stdout ?? '';
  return /librdkafka (\d+\.\d+\.\d+)/.exec(out)?.[1] ?? null;
}

/** Runs kcat to completion with a deadline; resolves with stdout. `env`: kcatEnv() for SASL/SCRAM on Kafka 4. */
export function kcat(args: string[], input?: string, timeoutMs = 30_000, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) {
      child.stdin!.end(input);
    }
  });
}
