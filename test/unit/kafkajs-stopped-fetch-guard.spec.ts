import { StoppedConsumerFetchError, installStoppedFetchGuard } from '../../src/kafka/kafkajs-stopped-fetch-guard';

// kafkajs's own internals, as the guard patches them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Runner = require('kafkajs/src/consumer/runner') as { prototype: { fetch(this: unknown, nodeId: number): Promise<unknown[]> } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createFetchManager = require('kafkajs/src/consumer/fetchManager') as (o: object) => { start(): Promise<void> };

const quiet = { namespace: () => quiet, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('a stopped kafkajs consumer never spins its fetch loop', () => {
  beforeAll(() => installStoppedFetchGuard());

  it('a stopped runner\'s fetch fails instead of answering an empty list at once', async () => {
    await expect(Runner.prototype.fetch.call({ running: false }, 1)).rejects.toBeInstanceOf(StoppedConsumerFetchError);
  });

  it('the fetch manager rebuilding its fetchers after a broker change ends once the runner stopped', async () => {
    // Brokers 0,1,2 then 0,1: the first fetch sees the change and makes the manager build new fetchers,
    // which (the runner stopped meanwhile) looped for ever on empty answers before the guard.
    let nodeIds = [0, 1, 2];
    const runner = { running: true };
    let fetches = 0;
    const manager = createFetchManager({
      logger: quiet,
      getNodeIds: () => nodeIds,
      fetch: async (nodeId: number) => {
        fetches += 1;
        if (fetches === 1) {
          nodeIds = [0, 1];
          runner.running = false;
          return [];
        }
        return Runner.prototype.fetch.call(runner, nodeId);
      },
      handler: async () => undefined,
    });
    await expect(manager.start()).rejects.toBeInstanceOf(StoppedConsumerFetchError);
    expect(fetches).toBeLessThan(20);
  });
});
