import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface ServerHandle {
  url: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts the built server (`node dist/main.js`, what `npm start` runs) with the given environment and
 * waits until GET /api/health says the cluster is in `untilState` (or just answers, with null).
 */
export async function startLabServer(env: Record<string, string>, opts: { logFile: string; untilState?: string | null; timeoutMs?: number }): Promise<ServerHandle> {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const out = fs.openSync(opts.logFile, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    env: { ...process.env, LAB_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${env.PORT}`;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  const want = opts.untilState === undefined ? 'running' : opts.untilState;
  for (;;) {
    if (exited !== null) {
      if (env.LAB_DATA_DIR) killKafkaUnder(env.LAB_DATA_DIR);
      throw new Error(`the lab server exited with code ${exited} while starting; see ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) {
        const body = (await res.json()) as { cluster: { state: string } };
        if (want === null || body.cluster.state === want) break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      // SIGTERM first: the server stops its own Kafka nodes (a SIGKILL would orphan its detached JVMs);
      // whatever still runs under its data dir afterwards is killed here.
      await stopPid(child.pid!, 60_000, () => exited !== null);
      if (env.LAB_DATA_DIR) killKafkaUnder(env.LAB_DATA_DIR);
      throw new Error(`the lab server did not reach cluster state ${want} in time; see ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    pid: child.pid!,
    child,
    logFile: opts.logFile,
    stop: (timeoutMs = 90_000) => stopPid(child.pid!, timeoutMs, () => exited !== null),
  };
}

/** SIGTERM (the server then stops its Kafka nodes), SIGKILL at the deadline. */
export async function stopPid(pid: number, timeoutMs: number, gone: () => boolean = () => !alive(pid)): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (!gone() && alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

/** The pids of JVMs whose pid files lie under `dataDir` (Kafka nodes, the client host) and that still run. */
export function kafkaPidsUnder(dataDir: string): number[] {
  const nodes = path.join(dataDir, 'cluster', 'nodes');
  const pidFiles = (fs.existsSync(nodes) ? fs.readdirSync(nodes) : []).map((d) => path.join(nodes, d, 'pid'));
  pidFiles.push(path.join(dataDir, 'client-host', 'pid'));
  const out: number[] = [];
  for (const f of pidFiles) {
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(f, 'utf8'));
    } catch {
      continue;
    }
    if (pid && alive(pid)) out.push(pid);
  }
  return out;
}

/** SIGKILLs the Kafka JVMs kafkaPidsUnder finds (SIGCONT first: a stopped JVM is killed all the same); returns their pids. */
export function killKafkaUnder(dataDir: string): number[] {
  const pids = kafkaPidsUnder(dataDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
