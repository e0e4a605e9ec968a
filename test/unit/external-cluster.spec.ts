import { ClusterService } from '../../src/cluster/cluster.service';
import type { ClusterView } from '../../src/cluster/cluster.types';
import { ExternalDriver } from '../../src/cluster/drivers/external.driver';
import { loadConfig } from '../../src/config/lab-config';
import type { LiveBroker } from '../../src/kafka/cluster-link';
import type { LiveBus } from '../../src/timeline/live-bus';
import type { TimelineService } from '../../src/timeline/timeline.service';

const b = (id: number): LiveBroker => ({ id, host: '127.0.0.1', port: 9092 + id });

/** The cluster service on the external driver, fed metadata snapshots by hand (the kafka module does it every 500 ms). */
function externalCluster() {
  const config = loadConfig({ LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: '127.0.0.1:9092,127.0.0.1:9093', LAB_DATA_DIR: '/nonexistent/kafka-lab-unit' });
  const published: Record<string, unknown>[] = [];
  const pushed: ClusterView[] = [];
  const timeline = { publish: (e: Record<string, unknown>) => published.push(e) } as unknown as TimelineService;
  const bus = { emit: (_: string, v: ClusterView) => pushed.push(v) } as unknown as LiveBus;
  const cluster = new ClusterService(config, new ExternalDriver(config.externalBootstrap), timeline, bus);
  return { cluster, published, pushed };
}

describe('the cluster service on an external cluster', () => {
  it('shows the bootstrap servers until the cluster answers, then its brokers and id; a broker that leaves is unreachable on the timeline and in the view', async () => {
    const { cluster, published, pushed } = externalCluster();
    await cluster.onApplicationBootstrap();
    let v = cluster.view();
    expect(v.driver).toBe('external');
    expect(v.bootstrapServers).toBe('127.0.0.1:9092,127.0.0.1:9093');
    expect(v.brokers.map((n) => n.state)).toEqual(['starting', 'starting']);
    expect(cluster.runningBrokerIds()).toEqual([]);

    cluster.observeBrokers([b(0), b(1), b(2)], 'the-id');
    v = cluster.view();
    expect([v.state, v.clusterId, v.brokers.map((n) => [n.id, n.state])]).toEqual(['running', 'the-id', [[0, 'running'], [1, 'running'], [2, 'running']]]);
    expect(published).toEqual([]);
    const views = pushed.length;
    cluster.observeBrokers([b(0), b(1), b(2)], 'the-id');
    expect(pushed).toHaveLength(views); // nothing changed, nothing pushed

    cluster.observeBrokers([b(0), b(2)], 'the-id');
    v = cluster.view();
    expect(v.state).toBe('degraded');
    expect(cluster.node(1)).toMatchObject({ state: 'unreachable', reason: expect.stringMatching(/^Kafka no longer lists broker 1/) });
    expect(pushed[pushed.length - 1].brokers[1].state).toBe('unreachable');
    expect(published).toEqual([{ type: 'node.crashed', actor: 'kafka', nodeId: 1, role: 'broker', reason: expect.any(String) }]);
    expect(cluster.runningBrokerIds()).toEqual([0, 2]);

    cluster.observeBrokers([b(0), b(1), b(2)], 'the-id');
    expect(cluster.view().state).toBe('running');
    expect(published[1]).toMatchObject({ type: 'node.started', nodeId: 1 });
    expect(cluster.node(1).reason).toBeUndefined();
  });

  it('refuses lifecycle calls with a sentence naming the driver', async () => {
    const { cluster } = externalCluster();
    await cluster.onApplicationBootstrap();
    expect(() => cluster.stop('instructor', true)).toThrow(/external driver/);
  });
});
