import { kafkaClusterId } from '../../src/cluster/node-store';
import {
  brokerAddress, controllerAddress, kafkaJvmArgs, parseProperties, quorumVoters, renderLog4jProperties, renderServerProperties,
} from '../../src/cluster/server-properties';

describe('server.properties generation (shared by every driver)', () => {
  const base = 9092;
  const render = (role: 'broker' | 'controller', id: number, brokers = 3, controllers = 1) =>
    parseProperties(renderServerProperties({
      node: role === 'broker' ? brokerAddress(base, id) : controllerAddress(base, id - 100),
      shape: { brokers, controllers },
      portBase: base,
      dataDir: `/data/${id}`,
    }));

  it('lays ports out from one base: brokers base+i like the classic lab, controllers from base+20', () => {
    expect([0, 1, 2].map((i) => brokerAddress(base, i).port)).toEqual([9092, 9093, 9094]);
    expect(controllerAddress(base, 0)).toEqual({ id: 100, role: 'controller', host: '127.0.0.1', port: 9112 });
    expect(quorumVoters(base, 3)).toBe('100@127.0.0.1:9112,101@127.0.0.1:9113,102@127.0.0.1:9114');
    expect(() => brokerAddress(base, 20)).toThrow(RangeError);
  });

  it('makes a KRaft broker with one PLAINTEXT listener on loopback and lab-friendly group and leader settings', () => {
    const p = render('broker', 1);
    expect(p.get('process.roles')).toBe('broker');
    expect(p.get('node.id')).toBe('1');
    expect(p.get('controller.quorum.voters')).toBe('100@127.0.0.1:9112');
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9093');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9093');
    expect(p.get('controller.listener.names')).toBe('CONTROLLER');
    expect(p.get('log.dirs')).toBe('/data/1');
    expect(p.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(p.get('auto.leader.rebalance.enable')).toBe('true');
    expect(Number(p.get('leader.imbalance.check.interval.seconds'))).toBeLessThanOrEqual(30);
    expect(p.get('auto.create.topics.enable')).toBe('false');
    expect(Number(p.get('group.min.session.timeout.ms'))).toBeLessThanOrEqual(6000);
  });

  it('replicates internal topics as much as the cluster allows: min(3, brokers)', () => {
    expect(render('broker', 0, 1).get('offsets.topic.replication.factor')).toBe('1');
    expect(render('broker', 0, 2).get('offsets.topic.replication.factor')).toBe('2');
    expect(render('broker', 0, 5).get('offsets.topic.replication.factor')).toBe('3');
    expect(render('broker', 0, 5).get('transaction.state.log.min.isr')).toBe('2');
    expect(render('broker', 0, 1).get('transaction.state.log.min.isr')).toBe('1');
  });

  it('makes a controller with only the CONTROLLER listener, in a 3-voter quorum when asked', () => {
    const p = render('controller', 101, 3, 3);
    expect(p.get('process.roles')).toBe('controller');
    expect(p.get('node.id')).toBe('101');
    expect(p.get('listeners')).toBe('CONTROLLER://127.0.0.1:9113');
    expect(p.get('controller.quorum.voters')).toBe('100@127.0.0.1:9112,101@127.0.0.1:9113,102@127.0.0.1:9114');
    expect(p.has('advertised.listeners')).toBe(false);
    expect(Number(p.get('broker.session.timeout.ms'))).toBeLessThan(9000);
  });

  it('logs each node to its own file and runs it with a modest heap', () => {
    expect(renderLog4jProperties('/n/0/server.log')).toContain('log4j.appender.file.File=/n/0/server.log');
    const args = kafkaJvmArgs({ libsDir: '/libs', log4jPath: '/n/0/log4j.properties', logDir: '/n/0', heap: '384m', mainArgs: ['/n/0/server.properties'] });
    expect(args).toContain('-Xmx384m');
    expect(args.slice(-4)).toEqual(['-cp', '/libs/*', 'kafka.Kafka', '/n/0/server.properties']);
    expect(args).toContain('-Dlog4j.configuration=file:/n/0/log4j.properties');
  });

  it('parses properties back, ignoring comments and blank lines', () => {
    const m = parseProperties('# c\n! c\n\na=1\n b = x=y \n');
    expect([...m.entries()]).toEqual([['a', '1'], ['b', 'x=y']]);
  });
});

describe('cluster ids', () => {
  it('are 22 URL-safe base64 characters and never start with "-" (kafka-storage would take it for an option)', () => {
    const ids = Array.from({ length: 5000 }, () => kafkaClusterId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
