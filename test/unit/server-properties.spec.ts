import { kafkaClusterId } from '../../src/cluster/node-store';
import {
  CONSUMER_PROTOCOL_HEARTBEAT_MS, CONSUMER_PROTOCOL_SESSION_MS, SHARE_DELIVERY_LIMIT, SHARE_RECORD_LOCK_MS,
  CLASS_REAUTH_MS, ClassListenerInput, brokerAddress, classListenerPort, controllerAddress, kafkaJvmArgs, parseProperties, quorumVoters, renderLogConfig, renderServerProperties, storageFormatArgs,
} from '../../src/cluster/server-properties';

describe('server.properties generation (shared by every driver)', () => {
  const base = 9092;
  const render = (role: 'broker' | 'controller', id: number, brokers = 3, controllers = 1, kafkaVersion = '4.4.0') =>
    parseProperties(renderServerProperties({
      node: role === 'broker' ? brokerAddress(base, id) : controllerAddress(base, id - 100),
      shape: { brokers, controllers },
      portBase: base,
      dataDir: `/data/${id}`,
      kafkaVersion,
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

  it('gives Kafka 4 brokers lab-sized consumer-protocol and share group settings within the broker minimums', () => {
    const p = render('broker', 0, 2);
    expect(Number(p.get('group.consumer.session.timeout.ms'))).toBe(CONSUMER_PROTOCOL_SESSION_MS);
    expect(Number(p.get('group.consumer.heartbeat.interval.ms'))).toBe(CONSUMER_PROTOCOL_HEARTBEAT_MS);
    expect(Number(p.get('group.consumer.min.session.timeout.ms'))).toBeLessThanOrEqual(CONSUMER_PROTOCOL_SESSION_MS);
    expect(Number(p.get('group.consumer.min.heartbeat.interval.ms'))).toBeLessThanOrEqual(CONSUMER_PROTOCOL_HEARTBEAT_MS);
    expect(Number(p.get('group.share.record.lock.duration.ms'))).toBe(SHARE_RECORD_LOCK_MS);
    expect(Number(p.get('group.share.min.record.lock.duration.ms'))).toBeLessThanOrEqual(SHARE_RECORD_LOCK_MS);
    expect(Number(p.get('group.share.delivery.count.limit'))).toBe(SHARE_DELIVERY_LIMIT);
    expect(SHARE_DELIVERY_LIMIT).toBeGreaterThanOrEqual(2); // Kafka's lowest accepted limit
    // The share-state topic like the offsets topic: a 2-broker cluster cannot hold Kafka's default RF 3.
    expect(p.get('share.coordinator.state.topic.replication.factor')).toBe('2');
    expect(p.get('share.coordinator.state.topic.min.isr')).toBe('2');
    expect(render('broker', 0, 1).get('share.coordinator.state.topic.min.isr')).toBe('1');
  });

  it('gives Kafka 4 controllers the topic defaults they decide in KRaft, and brokers none (4.x warns about them)', () => {
    const p = render('controller', 100, 2);
    expect(p.get('num.partitions')).toBe('3');
    expect(p.get('default.replication.factor')).toBe('2');
    expect(render('broker', 0).has('num.partitions')).toBe(false);
    expect(render('broker', 0).has('default.replication.factor')).toBe(false);
    expect(render('broker', 0, 3, 1, '3.9.2').get('num.partitions')).toBe('3');
  });

  it('keeps the 3.9 files as they were: no group protocol settings, no topic defaults on the controller', () => {
    const broker = render('broker', 0, 3, 1, '3.9.2');
    expect([...broker.keys()].filter((k) => k.startsWith('group.consumer.') || k.startsWith('group.share.') || k.startsWith('share.'))).toEqual([]);
    expect(render('controller', 100, 3, 1, '3.9.2').has('num.partitions')).toBe(false);
  });

  it('formats with the feature levels the labs need: consumer groups on 4.x, share groups switched on in 4.1', () => {
    const head = ['format', '--cluster-id=ID', '-c', '/n/server.properties', '--ignore-formatted'];
    expect(storageFormatArgs('3.9.2', 'ID', '/n/server.properties')).toEqual(head);
    expect(storageFormatArgs('4.0.0', 'ID', '/n/server.properties')).toEqual([...head, '--feature', 'group.version=1']);
    expect(storageFormatArgs('4.1.1', 'ID', '/n/server.properties')).toEqual([...head, '--feature', 'group.version=1', '--feature', 'share.version=1']);
    // 4.2+ has share groups on by default (4.4: share.version=2); lowering it would lose features.
    expect(storageFormatArgs('4.4.0', 'ID', '/n/server.properties')).toEqual([...head, '--feature', 'group.version=1']);
  });

  it('logs each node to its own file through the logging library of its Kafka, with a modest heap', () => {
    const v4 = renderLogConfig('4.4.0', '/n/0/server.log');
    expect(v4.fileName).toBe('log4j2.properties');
    expect(v4.text).toContain('appender.file.fileName = /n/0/server.log');
    // node-diagnosis.ts reads this layout back.
    expect(v4.text).toContain('appender.file.layout.pattern = [%d] %p %m (%c)%n');
    const v3 = renderLogConfig('3.9.2', '/n/0/server.log');
    expect(v3.fileName).toBe('log4j.properties');
    expect(v3.text).toContain('log4j.appender.file.File=/n/0/server.log');
    const args = kafkaJvmArgs({ kafkaVersion: '4.4.0', libsDir: '/libs', log4jPath: '/n/0/log4j2.properties', logDir: '/n/0', heap: '384m', mainArgs: ['/n/0/server.properties'] });
    expect(args).toContain('-Xmx384m');
    expect(args.slice(-4)).toEqual(['-cp', '/libs/*', 'kafka.Kafka', '/n/0/server.properties']);
    expect(args).toContain('-Dlog4j2.configurationFile=/n/0/log4j2.properties');
    const args3 = kafkaJvmArgs({ kafkaVersion: '3.9.2', libsDir: '/libs', log4jPath: '/n/0/log4j.properties', logDir: '/n/0', heap: '384m', mainArgs: [] });
    expect(args3).toContain('-Dlog4j.configuration=file:/n/0/log4j.properties');
  });

  it('parses properties back, ignoring comments and blank lines', () => {
    const m = parseProperties('# c\n! c\n\na=1\n b = x=y \n');
    expect([...m.entries()]).toEqual([['a', '1'], ['b', 'x=y']]);
  });
});

describe('the class listener in server.properties (students\' own clients)', () => {
  const base = 9092;
  const cls = { publicHost: 'lab.school.example', bindHost: '0.0.0.0', tlsKeystorePath: null };
  const render = (role: 'broker' | 'controller', id: number, classListener: ClassListenerInput | null, kafkaVersion = '4.4.0') =>
    renderServerProperties({
      node: role === 'broker' ? brokerAddress(base, id) : controllerAddress(base, id - 100),
      shape: { brokers: 3, controllers: 1 },
      portBase: base,
      dataDir: `/data/${id}`,
      kafkaVersion,
      classListener,
    });

  it('changes nothing when off, on every release and role', () => {
    for (const v of ['4.4.0', '3.9.2']) {
      for (const [role, id] of [['broker', 1], ['controller', 100]] as const) {
        const off = render(role, id, null, v);
        expect(render(role, id, undefined as unknown as null, v)).toBe(off);
        expect(off).not.toMatch(/CLASS|authorizer|super\.users|sasl/i);
      }
    }
  });

  it('gives broker i a CLASS listener on base+30+i with SCRAM-SHA-512, advertised as the public host', () => {
    const p = parseProperties(render('broker', 2, cls));
    expect(classListenerPort(base, 2)).toBe(9124);
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9094,CLASS://0.0.0.0:9124');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9094,CLASS://lab.school.example:9124');
    expect(p.get('listener.security.protocol.map')).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CLASS:SASL_PLAINTEXT');
    // The server's own clients and the brokers among themselves stay on the loopback listener.
    expect(p.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(p.get('listener.name.class.sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(p.get('listener.name.class.scram-sha-512.sasl.jaas.config')).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required;');
    expect(p.get('listener.name.class.connections.max.reauth.ms')).toBe(String(CLASS_REAUTH_MS));
    expect(CLASS_REAUTH_MS).toBeLessThanOrEqual(60_000);
    expect([...p.keys()].filter((k) => k.includes('ssl'))).toEqual([]);
    expect(() => classListenerPort(base, 10)).toThrow(RangeError);
  });

  it('puts the StandardAuthorizer, deny-by-default, on brokers AND controllers, the server and the instructor super users', () => {
    for (const [role, id] of [['broker', 0], ['controller', 100]] as const) {
      for (const v of ['4.4.0', '3.9.2']) {
        const p = parseProperties(render(role, id, cls, v));
        expect(p.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
        expect(p.get('super.users')).toBe('User:ANONYMOUS;User:instructor');
        expect(p.get('allow.everyone.if.no.acl.found')).toBe('false');
      }
    }
    // A controller has no class listener of its own.
    expect(parseProperties(render('controller', 100, cls)).get('listeners')).toBe('CONTROLLER://127.0.0.1:9112');
  });

  it('is SASL_SSL with a PEM keystore on the CLASS listener only when TLS is on', () => {
    const p = parseProperties(render('broker', 0, { ...cls, tlsKeystorePath: '/lab/class-tls/broker.pem' }));
    expect(p.get('listener.security.protocol.map')).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CLASS:SASL_SSL');
    expect(p.get('listener.name.class.ssl.keystore.type')).toBe('PEM');
    expect(p.get('listener.name.class.ssl.keystore.location')).toBe('/lab/class-tls/broker.pem');
    expect(p.get('listener.name.class.ssl.client.auth')).toBe('none');
    expect([...p.keys()].filter((k) => k.startsWith('ssl.'))).toEqual([]);
  });

  it('brackets IPv6 hosts in listener URLs', () => {
    const p = parseProperties(render('broker', 0, { publicHost: 'fd00::5', bindHost: '::', tlsKeystorePath: null }));
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CLASS://[::]:9122');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CLASS://[fd00::5]:9122');
  });
});

describe('cluster ids', () => {
  it('are 22 URL-safe base64 characters and never start with "-" (kafka-storage would take it for an option)', () => {
    const ids = Array.from({ length: 5000 }, () => kafkaClusterId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
