import { Logger } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabConfig } from '../../config/lab-config';
import type { KafkaDistribution, NodeExit, NodeSpec } from '../cluster.types';
import { kafkaJvmArgs, storageFormatArgs } from '../server-properties';
import type { ClusterDriver } from './cluster-driver';
import { runCommand } from './process-runner';
import { driverFailed, wrongState } from '../../common/lab-error';

interface Running {
  child: ChildProcess;
  spec: NodeSpec;
  expectedExit: boolean;
  paused: boolean;
  exited: Promise<void>;
}

/**
 * The embedded default: every node is a child JVM of this service, in a process group of its own (so a
 * terminal's Ctrl-C reaches only the service, which then stops the nodes in order). Each node's pid is
 * written to its folder so a later start can sweep what a crashed service left behind.
 */
export class ProcessDriver implements ClusterDriver {
  readonly name = 'process' as const;
  readonly controlsLifecycle = true;
  private readonly log = new Logger('ProcessDriver');
  private readonly nodes = new Map<number, Running>();
  private readonly exitListeners: Array<(e: NodeExit) => void> = [];
  /** Set once shutdownAll began: a start after it would spawn a JVM that outlives the server. */
  private closing = false;

  constructor(private readonly config: LabConfig, private readonly nodesRoot: string) {}

  onExit(listener: (e: NodeExit) => void): void {
    this.exitListeners.push(listener);
  }

  async sweepOrphans(): Promise<number> {
    let swept = 0;
    let dirs: string[] = [];
    try {
      dirs = fs.readdirSync(this.nodesRoot);
    } catch {
      return 0;
    }
    for (const d of dirs) {
      const pidFile = path.join(this.nodesRoot, d, 'pid');
      const pid = Number(readOr(pidFile, ''));
      if (!pid) continue;
      // Only a process whose command line names this node's own properties file is ours to kill.
      const cmdline = readOr(`/proc/${pid}/cmdline`, '');
      if (cmdline.includes(path.join(this.nodesRoot, d, 'server.properties'))) {
        try {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGKILL');
          swept += 1;
          await waitGone(pid, 10_000);
        } catch {
          // already gone
        }
      }
      fs.rmSync(pidFile, { force: true });
    }
    if (swept) this.log.warn(`Stopped ${swept} Kafka node(s) left running by an earlier run of the service.`);
    return swept;
  }

  async format(dist: KafkaDistribution, node: NodeSpec, clusterId: string): Promise<void> {
    if (fs.existsSync(path.join(node.dataDir, 'meta.properties'))) return;
    const args = kafkaJvmArgs({
      kafkaVersion: dist.version, libsDir: dist.libsDir, log4jPath: node.log4jPath, logDir: node.dir, heap: '256m',
      main: 'kafka.tools.StorageTool', mainArgs: storageFormatArgs(dist.version, clusterId, node.propertiesPath),
    });
    const res = await runCommand(dist.javaBin, args, { timeoutMs: 120_000 });
    if (res.code !== 0) {
      throw driverFailed(`Formatting the storage of node ${node.id} failed: ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' ')}`);
    }
  }

  async start(dist: KafkaDistribution, node: NodeSpec): Promise<void> {
    if (this.closing) throw driverFailed(`Node ${node.id} was not launched: the lab server is shutting down.`);
    const existing = this.nodes.get(node.id);
    if (existing) throw wrongState(`Node ${node.id} is already running (pid ${existing.child.pid}).`);
    const out = fs.openSync(node.logFile, 'a');
    const args = kafkaJvmArgs({ kafkaVersion: dist.version, libsDir: dist.libsDir, log4jPath: node.log4jPath, logDir: node.dir, heap: this.config.kafkaHeap, mainArgs: [node.propertiesPath] });
    const child = spawn(dist.javaBin, args, { detached: true, stdio: ['ignore', out, out], cwd: node.dir });
    fs.closeSync(out);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    fs.writeFileSync(path.join(node.dir, 'pid'), String(child.pid));
    let onGone!: () => void;
    const running: Running = { child, spec: node, expectedExit: false, paused: false, exited: new Promise((r) => (onGone = r)) };
    this.nodes.set(node.id, running);
    child.once('exit', (code, signal) => {
      this.nodes.delete(node.id);
      fs.rmSync(path.join(node.dir, 'pid'), { force: true });
      onGone();
      const exit: NodeExit = { id: node.id, code, signal, expected: running.expectedExit };
      if (!running.expectedExit) this.log.warn(`Node ${node.id} exited on its own (code ${code}, signal ${signal}); see ${node.logFile}`);
      for (const l of this.exitListeners) l(exit);
    });
  }

  async stop(id: number, timeoutMs: number): Promise<void> {
    const r = this.nodes.get(id);
    if (!r) return;
    r.expectedExit = true;
    signal(r.child, 'SIGTERM');
    // A paused JVM keeps a pending SIGTERM until it runs again.
    if (r.paused) signal(r.child, 'SIGCONT');
    const timedOut = await Promise.race([r.exited.then(() => false), delay(timeoutMs).then(() => true)]);
    if (timedOut) {
      this.log.warn(`Node ${id} did not stop within ${timeoutMs} ms; killing it.`);
      signal(r.child, 'SIGKILL');
      await r.exited;
    }
  }

  async kill(id: number): Promise<void> {
    const r = this.nodes.get(id);
    if (!r) return;
    r.expectedExit = true;
    signal(r.child, 'SIGKILL');
    await r.exited;
  }

  async pause(id: number): Promise<void> {
    const r = this.nodes.get(id);
    if (!r) throw wrongState(`Node ${id} is not running.`);
    signal(r.child, 'SIGSTOP');
    r.paused = true;
  }

  async resume(id: number): Promise<void> {
    const r = this.nodes.get(id);
    if (!r) throw wrongState(`Node ${id} is not running.`);
    signal(r.child, 'SIGCONT');
    r.paused = false;
  }

  isAlive(id: number): boolean {
    return this.nodes.has(id);
  }

  async shutdownAll(timeoutMs: number): Promise<void> {
    this.closing = true;
    const ids = [...this.nodes.keys()];
    const brokers = ids.filter((i) => this.nodes.get(i)!.spec.role === 'broker');
    const controllers = ids.filter((i) => this.nodes.get(i)!.spec.role === 'controller');
    // Brokers first: a broker's controlled shutdown needs a live controller.
    await Promise.all(brokers.map((i) => this.stop(i, timeoutMs)));
    await Promise.all(controllers.map((i) => this.stop(i, timeoutMs)));
  }

  /** Synchronous last resort for process exit paths where nothing async can run. */
  killAllNow(): void {
    this.closing = true;
    for (const r of this.nodes.values()) {
      r.expectedExit = true;
      signal(r.child, 'SIGCONT');
      signal(r.child, 'SIGKILL');
    }
  }
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    child.kill(sig);
  } catch {
    // the process is gone already
  }
}

function readOr(file: string, def: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return def;
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

async function waitGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    // Not unref'd: at boot nothing else keeps the event loop alive while the sweep waits.
    await new Promise<void>((r) => setTimeout(r, 50));
  }
}
