import { FAILED_POLLS_BEFORE_UNREACHABLE, ObservedBrokers, diffLiveness } from '../../src/cluster/drivers/observed-brokers';
import type { LiveBroker } from '../../src/kafka/cluster-link';

const b = (id: number, port = 9092 + id): LiveBroker => ({ id, host: '127.0.0.1', port });
const states = (o: ObservedBrokers) => o.nodes().map((n) => [n.id, n.state]);

describe('liveness diff: brokers expected vs brokers the cluster lists as live', () => {
  it('a known broker missing from the list becomes unreachable, once', () => {
    expect(diffLiveness(new Map([[0, 'running'], [1, 'running'], [2, 'running']]), [0, 2])).toEqual([{ id: 1, from: 'running', to: 'unreachable' }]);
    expect(diffLiveness(new Map([[0, 'running'], [1, 'unreachable']]), [0])).toEqual([]);
  });

  it('a listed broker that was unreachable or never seen becomes running; a running one stays', () => {
    expect(diffLiveness(new Map([[0, 'running'], [1, 'unreachable']]), [3, 1, 0])).toEqual([
      { id: 1, from: 'unreachable', to: 'running' },
      { id: 3, from: 'new', to: 'running' },
    ]);
    expect(diffLiveness(new Map([[0, 'running']]), [0])).toEqual([]);
  });
});

describe('an external cluster observed through its metadata', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const observed = () => new ObservedBrokers(['127.0.0.1:9092', 'localhost:9093'], () => at);

  it('shows the bootstrap servers as starting until the cluster answers, then its brokers as Kafka names them, without events', () => {
    const o = observed();
    expect(o.nodes()).toEqual([
      { id: 0, role: 'broker', state: 'starting', host: '127.0.0.1', port: 9092, since: at.toISOString() },
      { id: 1, role: 'broker', state: 'starting', host: 'localhost', port: 9093, since: at.toISOString() },
    ]);
    expect(o.clusterId()).toBeNull();
    expect(o.observe([b(5), b(7), b(6)], 'the-cluster-id')).toEqual({ changed: true, events: [] });
    expect(o.clusterId()).toBe('the-cluster-id');
    expect(o.nodes().map((n) => [n.id, n.state, n.port])).toEqual([[5, 'running', 9097], [6, 'running', 9098], [7, 'running', 9099]]);
    expect(o.bootstrapServers()).toEqual(['127.0.0.1:9092', 'localhost:9093']);
  });

  it('a broker that leaves the list is unreachable with a reason and a node.crashed; back, it is running with a node.started', () => {
    const o = observed();
    o.observe([b(0), b(1), b(2)]);
    expect(o.observe([b(0), b(1), b(2)])).toEqual({ changed: false, events: [] });
    const left = o.observe([b(0), b(2)]);
    expect(left.changed).toBe(true);
    expect(left.events).toEqual([{ type: 'node.crashed', actor: 'kafka', nodeId: 1, role: 'broker', reason: expect.stringContaining('no longer lists broker 1 among its live brokers') }]);
    expect(states(o)).toEqual([[0, 'running'], [1, 'unreachable'], [2, 'running']]);
    expect(o.nodes()[1].reason).toMatch(/^Kafka no longer lists broker 1/);
    // Still gone: nothing new to say.
    expect(o.observe([b(0), b(2)])).toEqual({ changed: false, events: [] });
    const back = o.observe([b(2), b(1), b(0)]);
    expect(back.events).toEqual([{ type: 'node.started', actor: 'kafka', nodeId: 1, role: 'broker', reason: 'Kafka lists broker 1 among its live brokers again.' }]);
    expect(states(o)).toEqual([[0, 'running'], [1, 'running'], [2, 'running']]);
    expect(o.nodes()[1].reason).toBeUndefined();
  });

  it('a broker that joins later is announced; a new advertised address is shown', () => {
    const o = observed();
    o.observe([b(0)]);
    expect(o.observe([b(0), b(1)]).events).toEqual([{ type: 'node.started', actor: 'kafka', nodeId: 1, role: 'broker', reason: 'Broker 1 joined the cluster.' }]);
    expect(o.observe([b(0, 9500), b(1)])).toEqual({ changed: true, events: [] });
    expect(o.nodes()[0].port).toBe(9500);
  });

  it('when no broker answers twice in a row every broker is unreachable; one silent poll is forgiven', () => {
    const o = observed();
    o.observe([b(0), b(1)]);
    expect(FAILED_POLLS_BEFORE_UNREACHABLE).toBe(2);
    expect(o.observe(null)).toEqual({ changed: false, events: [] });
    expect(o.observe([b(0), b(1)])).toEqual({ changed: false, events: [] });
    o.observe(null);
    const down = o.observe(null);
    expect(down.events.map((e) => [e.type, e.nodeId, e.reason])).toEqual([
      ['node.crashed', 0, 'No broker of the cluster answers at 127.0.0.1:9092, localhost:9093.'],
      ['node.crashed', 1, 'No broker of the cluster answers at 127.0.0.1:9092, localhost:9093.'],
    ]);
    expect(states(o)).toEqual([[0, 'unreachable'], [1, 'unreachable']]);
    expect(o.observe(null)).toEqual({ changed: false, events: [] });
    expect(o.observe([b(1)]).events.map((e) => [e.type, e.nodeId])).toEqual([['node.started', 1]]);
    expect(states(o)).toEqual([[0, 'unreachable'], [1, 'running']]);
  });

  it('a cluster that never answered shows its bootstrap servers unreachable, with no events about brokers it never saw', () => {
    const o = observed();
    o.observe(null);
    expect(o.observe(null)).toEqual({ changed: true, events: [] });
    expect(o.nodes().map((n) => [n.id, n.state, n.reason])).toEqual([
      [0, 'unreachable', 'No broker of the cluster answers at 127.0.0.1:9092, localhost:9093.'],
      [1, 'unreachable', 'No broker of the cluster answers at 127.0.0.1:9092, localhost:9093.'],
    ]);
    expect(o.observe([b(3)])).toEqual({ changed: true, events: [] });
    expect(states(o)).toEqual([[3, 'running']]);
  });

  it('nodes() hands out copies: a caller cannot change the observed state', () => {
    const o = observed();
    o.observe([b(0)]);
    o.nodes()[0].state = 'crashed';
    expect(states(o)).toEqual([[0, 'running']]);
  });
});
