import type { ClusterDriver } from './cluster-driver';

/** An existing cluster the service does not run: every lifecycle call is refused by the cluster service first. */
export class ExternalDriver implements ClusterDriver {
  readonly name = 'external' as const;
  readonly controlsLifecycle = false;
  async sweepOrphans(): Promise<number> {
    return 0;
  }
  private refuse(): never {
    throw new Error('the external driver does not run Kafka nodes');
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
