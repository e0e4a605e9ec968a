import { notFound } from '../../src/common/lab-error';
import type { ExecutionContext } from '@nestjs/common';
import type { AuthService } from '../../src/class/auth.service';
import type { Principal } from '../../src/class/principal';
import type { NodeView } from '../../src/cluster/cluster.types';
import { LabError } from '../../src/common/lab-error';
import { loadConfig } from '../../src/config/lab-config';
import type { ConsumerView, GroupSummary, GroupView } from '../../src/consumers/consumer.types';
import type { GroupsService } from '../../src/consumers/groups.service';
import type { ClusterMetadata } from '../../src/kafka/protocol';
import { GroupLag } from '../../src/metrics/group-lag';
import { LabMetrics, LagReading, MetricsSources } from '../../src/metrics/lab-metrics';
import { MetricsAccessGuard } from '../../src/metrics/metrics-access.guard';
import type { LabEvent } from '../../src/timeline/events';
import { parseMetrics, sample } from '../support/prometheus-text';

const node = (id: number, role: 'broker' | 'controller', state: NodeView['state']): NodeView => ({ id, role, state, host: '127.0.0.1', port: 9092 + id, since: '2026-01-01T00:00:00Z' });
const consumer = (id: string, protocol: ConsumerView['protocol'], state: ConsumerView['state']) => ({ id, protocol, state }) as ConsumerView;
const partition = (p: number, leader: number | null, replicas: number[], isr: number[]) => ({ partition: p, errorCode: 0, leader, leaderEpoch: 0, replicas, isr, offlineReplicas: [] });

function sources(over: Partial<MetricsSources> = {}): MetricsSources {
  return {
    nodes: () => [node(100, 'controller', 'running'), node(0, 'broker', 'running'), node(1, 'broker', 'killed')],
    metadata: () => ({
      clusterId: 'c', controllerId: 0, brokers: [],
      topics: [{ name: 'orders', topicId: 'x', isInternal: false, errorCode: 0, partitions: [partition(0, 0, [0, 1], [0]), partition(1, null, [1], []), partition(2, 0, [0], [0])] }],
    }) as ClusterMetadata,
    consumers: () => [consumer('a', 'classic', 'running'), consumer('b', 'classic', 'running'), consumer('c', 'share', 'stopped')],
    sockets: () => 4,
    lag: async () => ({ rows: [{ group: 'g', topic: 'orders', partition: 0, lag: 7 }], complete: true }),
    ...over,
  };
}

let seq = 0;
const ev = (e: Record<string, unknown>) => ({ seq: ++seq, time: new Date().toISOString(), actor: 'kafka', ...e }) as unknown as LabEvent;

describe('LabMetrics: the figures of GET /metrics', () => {
  it('counts produced and consumed messages per topic (and group) from timeline events', async () => {
    const m = new LabMetrics(sources());
    m.observeEvent(ev({ type: 'messages.produced', topic: 'orders', count: 5, partitions: { '0': 5 } }));
    m.observeEvent(ev({ type: 'messages.produced', topic: 'orders', count: 2, partitions: { '1': 2 } }));
    m.observeEvent(ev({ type: 'messages.consumed', consumerId: 'a', groupId: 'g', topic: 'orders', count: 4, offsets: {} }));
    m.observeEvent(ev({ type: 'messages.consumed', consumerId: 'b', groupId: 'h', topic: 'orders', count: 1, offsets: {} }));
    m.observeEvent(ev({ type: 'topic.created', topic: 'orders', partitions: 3, replicationFactor: 2 }));
    const f = parseMetrics(await m.text());
    expect(sample(f, 'klab_messages_produced_total', { topic: 'orders' })).toBe(7);
    expect(sample(f, 'klab_messages_consumed_total', { topic: 'orders', group: 'g' })).toBe(4);
    expect(sample(f, 'klab_messages_consumed_total', { topic: 'orders', group: 'h' })).toBe(1);
  });

  it('counts a classic rebalance once however many members tell it, and each step of a consumer-protocol member', async () => {
    const m = new LabMetrics(sources());
    const rebalanced = (consumerId: string, generation: number, protocol?: string) =>
      ev({ type: 'group.rebalanced', groupId: 'g', consumerId, memberId: consumerId, generation, protocol, assigned: [], revoked: [] });
    m.observeEvent(rebalanced('a', 1));
    m.observeEvent(rebalanced('b', 1));
    m.observeEvent(rebalanced('a', 2, 'classic'));
    m.observeEvent(rebalanced('b', 2, 'classic'));
    const f = parseMetrics(await m.text());
    expect(sample(f, 'klab_group_rebalances_total', { group: 'g', protocol: 'classic' })).toBe(2);
    const k = new LabMetrics(sources());
    k.observeEvent(ev({ type: 'group.rebalanced', groupId: 'k', consumerId: 'a', memberId: 'm1', generation: 3, protocol: 'consumer', assigned: [], revoked: [] }));
    k.observeEvent(ev({ type: 'group.rebalanced', groupId: 'k', consumerId: 'b', memberId: 'm2', generation: 3, protocol: 'consumer', assigned: [], revoked: [] }));
    expect(sample(parseMetrics(await k.text()), 'klab_group_rebalances_total', { group: 'k', protocol: 'consumer' })).toBe(2);
  });

  it('reads node states, partitions, consumers, sockets and lag at scrape time', async () => {
    const f = parseMetrics(await new LabMetrics(sources()).text());
    expect(sample(f, 'klab_node_state', { node: '1', role: 'broker', state: 'killed' })).toBe(1);
    expect(sample(f, 'klab_node_state', { node: '1', role: 'broker', state: 'running' })).toBe(0);
    expect(sample(f, 'klab_node_state', { node: '100', role: 'controller', state: 'running' })).toBe(1);
    expect(sample(f, 'klab_partitions_under_replicated', { topic: 'orders' })).toBe(2);
    expect(sample(f, 'klab_partitions_offline', { topic: 'orders' })).toBe(1);
    expect(sample(f, 'klab_metadata_fresh')).toBe(1);
    expect(sample(f, 'klab_consumers', { protocol: 'classic', state: 'running' })).toBe(2);
    expect(sample(f, 'klab_consumers', { protocol: 'share', state: 'stopped' })).toBe(1);
    expect(sample(f, 'klab_socket_connections')).toBe(4);
    expect(sample(f, 'klab_consumer_group_lag', { group: 'g', topic: 'orders', partition: '0' })).toBe(7);
    expect(sample(f, 'klab_consumer_group_lag_complete')).toBe(1);
  });

  it('shows what it has when the cluster is not answering, and says the rest is missing', async () => {
    const m = new LabMetrics(sources({ metadata: () => null, lag: async () => ({ rows: [], complete: false }) }));
    const f = parseMetrics(await m.text());
    expect(sample(f, 'klab_metadata_fresh')).toBe(0);
    expect(f.get('klab_partitions_offline')?.metrics ?? []).toEqual([]);
    expect(sample(f, 'klab_consumer_group_lag_complete')).toBe(0);
    expect(sample(f, 'klab_node_state', { node: '0', state: 'running' })).toBe(1);
  });

  it('drops the lag of a group that is gone at the next scrape', async () => {
    let rows = [{ group: 'g', topic: 'orders', partition: 0, lag: 7 }];
    const m = new LabMetrics(sources({ lag: async () => ({ rows, complete: true }) }));
    expect(sample(parseMetrics(await m.text()), 'klab_consumer_group_lag', { group: 'g' })).toBe(7);
    rows = [];
    expect(sample(parseMetrics(await m.text()), 'klab_consumer_group_lag', { group: 'g' })).toBeUndefined();
  });

  it('times HTTP answers by route template, and every family carries the klab_ prefix', async () => {
    const m = new LabMetrics(sources());
    m.observeHttp('GET', '/api/topics/:name', 200, 0.02);
    const text = await m.text();
    expect(text).toContain('klab_http_request_duration_seconds_count{method="GET",route="/api/topics/:name",status="200"} 1');
    const names = [...parseMetrics(text).keys()];
    expect(names.filter((n) => !n.startsWith('klab_'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['klab_process_cpu_seconds_total', 'klab_nodejs_heap_size_used_bytes']));
  });

  it('keeps two servers of one process apart (a registry each)', async () => {
    const a = new LabMetrics(sources());
    const b = new LabMetrics(sources());
    a.observeEvent(ev({ type: 'messages.produced', topic: 'only-a', count: 1, partitions: { '0': 1 } }));
    expect(await b.text()).not.toContain('only-a');
  });
});

describe('GroupLag: lag of every group within a deadline', () => {
  const summary = (groupId: string, type: GroupSummary['type'] = 'classic') => ({ groupId, owner: 'instructor', type, state: 'Stable', members: 1 }) as GroupSummary;
  const view = (groupId: string, lags: Array<number | null>) => ({
    groupId, owner: 'instructor', type: 'classic', state: 'Stable', protocol: 'range', members: [],
    offsets: lags.map((lag, partition) => ({ topic: 't', partition, committed: lag === null ? null : '1', latest: '8', lag })),
  }) as GroupView;
  const groups = (list: () => Promise<GroupSummary[]>, describe: (id: string) => Promise<GroupView>) =>
    ({ list: jest.fn(list), describe: jest.fn((_who: Principal, id: string) => describe(id)) }) as unknown as GroupsService & { list: jest.Mock; describe: jest.Mock };

  afterEach(() => jest.useRealTimers());

  it('reads each group as GET /api/groups/{id} shows it, without share groups or partitions with no commit', async () => {
    const g = groups(async () => [summary('a'), summary('s', 'share')], async (id) => view(id, [3, null]));
    expect(await new GroupLag(g).read()).toEqual({ rows: [{ group: 'a', topic: 't', partition: 0, lag: 3 }], complete: true });
    expect(g.describe).toHaveBeenCalledTimes(1);
  });

  it('answers by its deadline when the cluster hangs, with what came in', async () => {
    jest.useFakeTimers();
    const g = groups(async () => [summary('a'), summary('b')], (id) => (id === 'a' ? Promise.resolve(view('a', [2])) : new Promise<GroupView>(() => undefined)));
    const lag = new GroupLag(g);
    const reading = lag.read(4000);
    const second = lag.read(4000);
    let got: LagReading | undefined;
    void reading.then((r) => (got = r));
    await jest.advanceTimersByTimeAsync(3999);
    expect(got).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(got).toEqual({ rows: [{ group: 'a', topic: 't', partition: 0, lag: 2 }], complete: false });
    expect(await second).toBe(got);
    expect(g.list).toHaveBeenCalledTimes(1);
  });

  it('is complete when a group listed is gone by the time it is described (404), and not when one fails', async () => {
    const gone = groups(async () => [summary('a'), summary('b')], async (id) => {
      if (id === 'b') throw notFound('There is no group b.');
      return view(id, [4]);
    });
    expect(await new GroupLag(gone).read()).toEqual({ rows: [{ group: 'a', topic: 't', partition: 0, lag: 4 }], complete: true });
    const failing = groups(async () => [summary('a'), summary('b')], async (id) => {
      if (id === 'b') throw new Error('The connection to broker 2 was refused.');
      return view(id, [4]);
    });
    expect((await new GroupLag(failing).read()).complete).toBe(false);
  });

  it('has nothing, and says so, when the groups cannot be listed in time', async () => {
    jest.useFakeTimers();
    const g = groups(() => new Promise<GroupSummary[]>(() => undefined), async (id) => view(id, [1]));
    const reading = new GroupLag(g).read(1000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await reading).toEqual({ rows: [], complete: false });
  });
});

describe('MetricsAccessGuard: the instructor, or anyone with LAB_METRICS_PUBLIC', () => {
  const principals: Record<string, Principal> = { 'teach-token': { id: 'instructor', name: 'instructor', role: 'instructor' }, 'stud-token': { id: 'abc123', name: 'Ann', role: 'student' } };
  const auth = { verify: (t: string) => principals[t] ?? null, refusal: () => 'This token is not known.' } as unknown as AuthService;
  const ctx = (authorization?: string) => ({ switchToHttp: () => ({ getRequest: () => ({ headers: authorization ? { authorization } : {} }) }) }) as unknown as ExecutionContext;
  const code = (f: () => unknown) => {
    try {
      f();
      return 'passed';
    } catch (e) {
      return e instanceof LabError ? e.code : String(e);
    }
  };

  it('lets the instructor through and refuses the others as the API does', () => {
    const guard = new MetricsAccessGuard(loadConfig({}), auth);
    expect(code(() => guard.canActivate(ctx('Bearer teach-token')))).toBe('passed');
    expect(code(() => guard.canActivate(ctx()))).toBe('UNAUTHENTICATED');
    expect(code(() => guard.canActivate(ctx('Bearer nobody')))).toBe('UNAUTHENTICATED');
    expect(code(() => guard.canActivate(ctx('Basic x')))).toBe('UNAUTHENTICATED');
    expect(code(() => guard.canActivate(ctx('Bearer stud-token')))).toBe('FORBIDDEN');
  });

  it('needs no token when the metrics are public', () => {
    const guard = new MetricsAccessGuard(loadConfig({ LAB_METRICS_PUBLIC: 'true' }), auth);
    expect(code(() => guard.canActivate(ctx()))).toBe('passed');
  });
});
