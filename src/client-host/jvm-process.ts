import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HostEvent, LineProtocol } from './line-protocol';

/** What to run: the java command line (tests run a small fake host instead). */
export interface HostCommand {
  command: string;
  args: string[];
}

/** Files of the host under the lab data dir: its pid (for sweeps) and its log (stderr, the clients' log). */
export function hostFiles(dataDir: string): { dir: string; pidFile: string; logFile: string } {
  const dir = path.join(dataDir, 'client-host');
  return { dir, pidFile: path.join(dir, 'pid'), logFile: path.join(dir, 'host.log') };
}

/** The marker on the host's command line that ties it to one data dir (the sweeps look for it). */
export const dataDirMarker = (dataDir: string) => `-Dkafka.lab.dataDir=${path.resolve(dataDir)}`;

/**
 * One running host process: spawned in its own process group (a terminal's Ctrl-C reaches only the
 * server, which then lets members leave), its stdout the protocol, its stderr the host log. It ends
 * when its stdin closes, so it cannot outlive the server, even one killed with SIGKILL.
 */
export class HostJvm {
  readonly protocol: LineProtocol;
  private child: ChildProcess | null = null;
  private expected = false;
  private exitedWith: string | null = null;
  private readonly exited: Promise<void>;
  private onGone!: () => void;
  /** Set by start(): the host's `ready` event resolves it. */
  private readyHook: (() => void) | null = null;

  constructor(
    private readonly cmd: HostCommand,
    private readonly dataDir: string,
    onEvent: (e: HostEvent) => void,
    /** The process ended; `expected` when stop() asked for it. Called once. */
    private readonly onExit: (reason: string, expected: boolean) => void,
  ) {
    // `ready` ends the start; every other event goes to the owner.
    const events = (e: HostEvent) => (e.ev === 'ready' ? this.readyHook?.() : onEvent(e));
    this.protocol = new LineProtocol((l) => this.writeLine(l), events, (noise) => this.logNoise(noise));
    this.exited = new Promise((r) => (this.onGone = r));
  }

  get pid(): number | null {
    return this.child && this.exitedWith === null ? this.child.pid ?? null : null;
  }

  /** Spawns the process and waits until it says `ready` (or fails with why it did not). */
  async start(readyTimeoutMs: number): Promise<void> {
    const files = hostFiles(this.dataDir);
    fs.mkdirSync(files.dir, { recursive: true });
    const log = fs.openSync(files.logFile, 'a');
    fs.writeSync(log, `--- client host starting at ${new Date().toISOString()}\n`);
    const readyP = new Promise<void>((r) => (this.readyHook = r));
    try {
      this.child = spawn(this.cmd.command, this.cmd.args, { detached: true, stdio: ['pipe', 'pipe', log] });
    } finally {
      fs.closeSync(log);
    }
    const child = this.child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    fs.writeFileSync(files.pidFile, String(child.pid));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => this.protocol.feed(s));
    // A write after the host died is reported by its exit, not as an unhandled error.
    child.stdin!.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      this.exitedWith = signal
        ? `the client host JVM (pid ${child.pid}) was killed by ${signal}`
        : `the client host JVM (pid ${child.pid}) exited with code ${code}`;
      fs.rmSync(files.pidFile, { force: true });
      this.protocol.close(this.exitedWith);
      this.onGone();
      this.onExit(this.exitedWith, this.expected);
    });
    const gone = this.exited.then(() => {
      throw new Error(`${this.exitedWith} while starting; see ${files.logFile}`);
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the client host JVM did not start within ${Math.round(readyTimeoutMs / 1000)} s; see ${files.logFile}`)), readyTimeoutMs);
    });
    try {
      await Promise.race([readyP, gone, late]);
    } catch (e) {
      this.kill();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes its stdin (it leaves and ends on its own); SIGKILL if it is still there after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child || this.exitedWith !== null) return;
    this.expected = true;
    child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([this.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (late) {
      this.kill();
      await this.exited;
    }
  }

  /** SIGKILL now (also for the process's exit paths where nothing async can run). */
  kill(): void {
    if (!this.child || this.exitedWith !== null) return;
    this.expected = true;
    try {
      process.kill(this.child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  }

  private writeLine(line: string): void {
    if (!this.child?.stdin || this.exitedWith !== null) throw new Error(this.exitedWith ?? 'the client host is not running');
    this.child.stdin.write(line);
  }

  private logNoise(line: string): void {
    try {
      fs.appendFileSync(hostFiles(this.dataDir).logFile, `(stdout) ${line}\n`);
    } catch {
      // the log is a courtesy
    }
  }
}

/**
 * Kills a host left running by an earlier run of the server on this data dir: its pid file names it
 * and its command line carries the data dir's marker (another program that reuses the pid does not).
 */
export async function sweepHostOrphan(dataDir: string): Promise<number | null> {
  const { pidFile } = hostFiles(dataDir);
  let pid = 0;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8'));
  } catch {
    return null;
  }
  let swept: number | null = null;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (pid && cmdline.includes(dataDirMarker(dataDir))) {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      swept = pid;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 50));
    }
  } catch {
    // gone already, or not ours
  }
  fs.rmSync(pidFile, { force: true });
  return swept;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
