import { wrongState } from '../../common/lab-error';
import type { ClusterDriver } from './cluster-driver';
import { ObservedBrokers } from './observed-brokers';

/**
 * An existing cluster the service does not run, only observes: its brokers and their liveness come
 * from the cluster's own metadata (see ObservedBrokers). Every lifecycle call is refused by the
 * cluster service first.
 */
export class ExternalDriver implements ClusterDriver {
  readonly name = 'external' as const;
  readonly controlsLifecycle = false;
  readonly observer: ObservedBrokers;

  constructor(bootstrap: readonly string[]) {
    this.observer = new ObservedBrokers(bootstrap);
  }

  async sweepOrphans(): Promise<number> {
    return 0;
  }
  private refuse(): never {
    throw wrongState('This lab server uses an existing cluster (LAB_DRIVER=external); it does not start or stop its nodes.');
  }
  async format(): Promise<void> {
    this.refuse();
  }
  async start(): Promise<void> {
    this.refuse();
  }
  async stop(): Promise<void> {
    this.refuse();
  }
  async kill(): Promise<void> {
    this.refuse();
  }
  async pause(): Promise<void> {
    this.refuse();
  }
  async resume(): Promise<void> {
    this.refuse();
  }
  isAlive(): boolean {
    return true;
  }
  onExit(): void {
    // nothing ever exits that we started
  }
  async shutdownAll(): Promise<void> {
    // nothing to stop
  }
}
