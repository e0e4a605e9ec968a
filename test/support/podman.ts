import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';

/** podman's Docker-compatible API on a private socket, for one test run (see DOCKER-TESTING.md). */
export interface PodmanService {
  socketPath: string;
  stop(): Promise<void>;
}

export function podmanInstalled(): boolean {
  return spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `podman system service` as our child on a socket only this run uses; resolves once the API
 * answers a ping. `--time=0` keeps it from exiting while idle between tests.
 */
export async function startPodmanService(timeoutMs = 20_000): Promise<PodmanService> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-podman-'));
  const socketPath = path.join(dir, `podman-${process.pid}.sock`);
  const child = spawn('podman', ['system', 'service', '--time=0', `unix://${socketPath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  let exited: string | null = null;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    });
    child.once('error', (e) => {
      exited = `could not start: ${e.message}`;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (exited === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && exited === null && process.kill(child.pid, 'SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const docker = new Docker({ socketPath });
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`podman system service ${exited} before answering: ${stderr.trim().slice(-1000)}`);
    }
    try {
      await docker.ping();
      return { socketPath, stop };
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`podman system service did not answer on ${socketPath} within ${timeoutMs} ms (last error: ${last}).`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
