import { Logger } from '@nestjs/common';
import * as path from 'node:path';
import type { ClusterView, NodeState, NodeView } from '../cluster/cluster.types';
import type { LabConfig } from '../config/lab-config';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const label = (n: NodeView) => `${n.role === 'broker' ? 'Broker' : 'Controller'} ${n.id}`;

/** The one line that says what this start is going to do, before anything else happens. */
export function configurationSummary(c: LabConfig): string {
  const cluster = c.driver === 'external'
    ? `the existing cluster at ${c.externalBootstrap.join(',')}`
    : `${plural(c.brokers, 'broker')} and ${plural(c.controllers, 'controller')} run by the ${c.driver} driver (Kafka ${c.kafkaVersion}, ports from ${c.kafkaPortBase})`;
  const start = c.driver === 'external' ? '' : c.autostart ? ', started now' : ', started when asked (LAB_AUTOSTART=false)';
  return `Starting kafka-lab: ${cluster}${start}; data in ${c.dataDir}; log level ${c.logLevel}.`;
}

/**
 * A node's new state, as one line; `starting` says nothing (the line comes when it is up), nor does a
 * node first seen down (the configuration line said the cluster is being started).
 */
export function nodeLine(n: NodeView, previous: NodeState | undefined): string | null {
  if (n.state === previous || n.state === 'starting') return null;
  if (previous === undefined && n.state !== 'running') return null;
  switch (n.state) {
    case 'running': return previous === 'paused' ? `${label(n)} runs again.` : `${label(n)} is up at ${n.host}:${n.port}.`;
    case 'crashed': return `${label(n)} crashed.`;
    default: return `${label(n)} is ${n.state}.`;
  }
}

/**
 * Says each stage of the start once, in words a person reads: the configuration, each node up, the
 * cluster running, then the address to open and where the instructor token is. Afterwards it goes on
 * with one line per node or cluster change. (Kafka found or fetched is said where it is located.)
 */
export class BootReport {
  private readonly log = new Logger('kafka-lab');
  private readonly clusterLog = new Logger('Cluster');
  private readonly nodes = new Map<string, NodeState>();
  private clusterRunning = false;
  private url: string | null = null;
  private readySaid = false;

  constructor(private readonly config: LabConfig) {}

  /** Feed it every cluster view (the live bus's `cluster` stream). */
  onCluster(view: ClusterView): void {
    for (const n of [...view.controllers, ...view.brokers]) {
      const key = `${n.role}:${n.id}`;
      const line = nodeLine(n, this.nodes.get(key));
      this.nodes.set(key, n.state);
      if (line) (n.state === 'crashed' ? this.clusterLog.warn(line) : this.clusterLog.log(line));
    }
    const running = view.state === 'running';
    if (running && !this.clusterRunning) this.clusterLog.log(`The cluster is running: bootstrap servers ${view.bootstrapServers}.`);
    if (!running && this.clusterRunning) this.clusterLog.log(`The cluster is ${view.state}.`);
    this.clusterRunning = running;
    this.sayReady();
  }

  /** The server listens: the address is known. */
  listening(url: string): void {
    this.url = url.replace('[::1]', '127.0.0.1').replace(/\/$/, '');
    const waiting = this.config.driver !== 'external' && this.config.autostart && !this.clusterRunning;
    this.log.log(`The API listens on ${this.url}${waiting ? '; the cluster is starting' : ''}.`);
    this.sayReady();
  }

  /** Once: when the server listens and the cluster runs (or nobody asked for it to start). */
  private sayReady(): void {
    if (this.readySaid || !this.url) return;
    if (!this.clusterRunning && this.config.autostart && this.config.driver !== 'external') return;
    this.readySaid = true;
    const token = this.config.instructorToken
      ? 'the instructor token is the value of LAB_INSTRUCTOR_TOKEN'
      : `the instructor token is in ${path.join(this.config.dataDir, 'instructor-token')}`;
    this.log.log(`Ready: open ${this.url}/ in a browser (the API is under ${this.url}/api); ${token}.`);
  }
}
