/**
 * kafkajs 2.2.4 can spin a stopped consumer's fetch loop for ever and freeze the whole server (its
 * event loop never gets a turn: only already-resolved promises run). How: a fetcher sees the brokers
 * change (one killed or started) and throws a "rebalance" of fetchers; the fetch manager then builds new
 * fetchers without asking whether the consumer still runs. If the consumer was stopped meanwhile (a
 * stop, a kill, a crash restart), its runner answers every fetch with an empty list at once, and the new
 * fetchers loop on it without ever waiting. Seen in the e2e suite on Kafka 4.4 (Lab C kills brokers under
 * a group, then its consumers are deleted): GET /api/health stopped answering, one core at 100%.
 *
 * The guard makes a stopped runner's fetch fail instead: the fetcher ends, the fetch manager passes the
 * error up, and the runner's own retry sees it is no longer running and exits quietly (no crash event).
 * kafkajs's internals are patched once, here, because nothing in its API reaches that loop.
 */

interface KafkajsRunner {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
}

export class StoppedConsumerFetchError extends Error {
  constructor() {
    super('the kafkajs consumer was stopped; its fetch loop ends');
    this.name = 'KafkaLabStoppedConsumerFetch';
  }
}

let installed = false;

/** Patches kafkajs's consumer Runner (idempotent). */
export function installStoppedFetchGuard(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Runner = require('kafkajs/src/consumer/runner') as { prototype: KafkajsRunner };
  const original = Runner.prototype.fetch;
  Runner.prototype.fetch = function guardedFetch(this: KafkajsRunner, nodeId: number): Promise<unknown[]> {
    if (!this.running) return Promise.reject(new StoppedConsumerFetchError());
    return original.call(this, nodeId);
  };
}
