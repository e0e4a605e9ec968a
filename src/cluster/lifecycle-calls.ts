import { Logger } from '@nestjs/common';
import { conflict, inProgress } from '../common/lab-error';
import type { ClusterView } from './cluster.types';
import { Operation, busySentence, label } from './node-actions';
import type { NodeRecord, NodeStore } from './node-store';

export type ClusterOpKind = 'start' | 'stop' | 'reset';

/**
 * How lifecycle calls run: never queued. One call at a time per node (the node's `pending`), and a
 * whole-cluster start or stop runs alone; a call that meets another in progress is a 409 saying which.
 * A reset takes over instead: it bumps the epoch, and work of an earlier epoch stops at its next step.
 * `wait=false` answers at once with the cluster as it is, and the work goes on.
 */
export class LifecycleCalls {
  private readonly log = new Logger('Cluster');
  private clusterOp: { kind: ClusterOpKind } | null = null;
  private epochNow = 0;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: NodeStore,
    private readonly view: () => ClusterView,
    private readonly pushView: () => void,
  ) {}

  get epoch(): number {
    return this.epochNow;
  }

  /** What the cluster's state shows while a whole-cluster call runs. */
  busyState(): 'starting' | 'stopping' | null {
    return this.clusterOp ? (this.clusterOp.kind === 'stop' ? 'stopping' : 'starting') : null;
  }

  /** The whole-cluster call in progress, if any. */
  clusterCall(): ClusterOpKind | null {
    return this.clusterOp?.kind ?? null;
  }

  /** True while no whole-cluster call runs. */
  clusterIdle(): boolean {
    return this.clusterOp === null;
  }

  /** 409 while a whole-cluster call runs. */
  requireNoClusterCall(): void {
    if (this.clusterOp) throw inProgress(busySentence('The cluster', `cluster ${this.clusterOp.kind}` as Operation));
  }

  /** 409 IN_PROGRESS (retriable) when any call is in progress (whole-cluster starts and stops run alone). */
  requireIdle(what: Operation): void {
    this.requireNoClusterCall();
    const busy = this.store.all().find((n) => n.pending);
    if (busy) throw inProgress(`Cannot do a ${what} now: a ${busy.pending} of ${label(busy)} is in progress; try again when it is done (GET /api/cluster shows it).`);
  }

  /** Throws the 409 of interrupted work when a reset took over since `epoch`. */
  requireCurrent(epoch: number, n?: NodeRecord): void {
    if (epoch !== this.epochNow) throw conflict(`${n ? `The call on ${label(n)}` : 'The operation'} was interrupted: a reset of the cluster took over.`);
  }

  /** Ends every earlier call at its next step (reset, shutdown); returns them to wait for. */
  takeOver(): Promise<unknown>[] {
    this.epochNow++;
    for (const n of this.store.all()) this.store.setPending(n, undefined);
    return [...this.inflight];
  }

  /** A whole-cluster call; `work` gets the epoch it runs in. */
  runCluster(kind: ClusterOpKind, wait: boolean, work: (epoch: number) => Promise<void>): Promise<ClusterView> {
    const op = { kind };
    this.clusterOp = op;
    const epoch = this.epochNow;
    return this.launch(wait, () => work(epoch), () => {
      if (this.clusterOp === op) this.clusterOp = null;
    });
  }

  /** A call on one node: it is `pending` until `work` ends. */
  runOnNode(n: NodeRecord, action: NonNullable<NodeRecord['pending']>, wait: boolean, work: (epoch: number) => Promise<void>): Promise<ClusterView> {
    const epoch = this.epochNow;
    this.store.setPending(n, action);
    return this.launch(wait, () => work(epoch), () => {
      if (this.epochNow === epoch) this.store.setPending(n, undefined);
    });
  }

  private launch(wait: boolean, work: () => Promise<void>, done: () => void): Promise<ClusterView> {
    const task = (async () => {
      try {
        await work();
      } finally {
        done();
        this.pushView();
      }
    })();
    this.inflight.add(task);
    task.then(() => this.inflight.delete(task), () => this.inflight.delete(task));
    this.pushView();
    if (!wait) {
      task.catch((e) => this.log.warn(`A cluster operation did not complete: ${e.message}`));
      return Promise.resolve(this.view());
    }
    return task.then(() => this.view());
  }
}
