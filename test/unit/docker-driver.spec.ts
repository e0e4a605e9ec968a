import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { KafkaDistribution, NodeSpec } from '../../src/cluster/cluster.types';
import { demuxDockerLog, dockerConnection } from '../../src/cluster/drivers/container-client';
import { containerName, containerSpec, imageMode, missingImage, nameTag } from '../../src/cluster/drivers/container-spec';
import { outputTail, signalOfExitCode } from '../../src/cluster/drivers/docker.driver';
import { brokerAddress, controllerAddress, kafkaJvmArgs, parseProperties, renderServerProperties } from '../../src/cluster/server-properties';
import { loadConfig } from '../../src/config/lab-config';

const dist: KafkaDistribution = { version: '3.9.2', libsDir: '/cache/kafka/3.9.2/libs', javaBin: '/usr/bin/java', origin: 'test' };
const node: NodeSpec = {
  id: 1,
  role: 'broker',
  host: '127.0.0.1',
  port: 35001,
  dir: '/data/nodes/broker-1',
  propertiesPath: '/data/nodes/broker-1/server.properties',
  log4jPath: '/data/nodes/broker-1/log4j.properties',
  dataDir: '/data/nodes/broker-1/data',
  logFile: '/data/nodes/broker-1/server.log',
};
const HOST_IMAGE = 'localhost/kafka-lab-host-runtime:latest';

describe('containerSpec', () => {
  it('runs the host java with the same command line as the process driver, paths mounted where they are', () => {
    const spec = containerSpec({ image: HOST_IMAGE, labelValue: 'abc123', node, dist, heap: '256m', task: 'run', user: '0:0' });
    expect(spec.name).toBe('kafka-lab-abc123-broker-1');
    expect(spec.Image).toBe(HOST_IMAGE);
    expect(spec.Entrypoint).toEqual(['/usr/bin/java']);
    expect(spec.Cmd).toEqual(
      kafkaJvmArgs({ kafkaVersion: dist.version, libsDir: dist.libsDir, log4jPath: node.log4jPath, logDir: node.dir, heap: '256m', mainArgs: [node.propertiesPath] }),
    );
    expect(spec.Labels).toEqual({ 'kafka-lab.owner': 'abc123', 'kafka-lab.node-id': '1', 'kafka-lab.role': 'broker' });
    expect(spec.User).toBe('0:0');
    expect(spec.WorkingDir).toBe(node.dir);
    expect(spec.HostConfig?.NetworkMode).toBe('host');
    expect(spec.HostConfig?.RestartPolicy).toEqual({ Name: 'no' });
    expect(spec.HostConfig?.Tmpfs).toHaveProperty('/tmp');
    // System folders and jars read-only; the node's folder (which holds data, config and log) once, read-write.
    expect(spec.HostConfig?.Binds).toEqual([
      '/usr:/usr:ro',
      '/lib:/lib:ro',
      '/lib64:/lib64:ro',
      '/bin:/bin:ro',
      '/etc:/etc:ro',
      '/cache/kafka/3.9.2/libs:/cache/kafka/3.9.2/libs:ro',
      '/data/nodes/broker-1:/data/nodes/broker-1:rw',
    ]);
  });

  it('mounts a data dir and a java home that live outside the usual places', () => {
    const spec = containerSpec({
      image: HOST_IMAGE,
      labelValue: 'abc123',
      node: { ...node, dataDir: '/fast-disk/broker-1' },
      dist: { ...dist, javaBin: '/opt/jdk-17/bin/java' },
      heap: '256m',
      task: 'run',
    });
    expect(spec.HostConfig?.Binds).toEqual(
      expect.arrayContaining(['/opt/jdk-17:/opt/jdk-17:ro', '/fast-disk/broker-1:/fast-disk/broker-1:rw', '/data/nodes/broker-1:/data/nodes/broker-1:rw']),
    );
    expect(spec.User).toBeUndefined();
  });

  it('mounts a broker\'s class listener keystore (only that file: its folder has the CA\'s key) read-only where server.properties names it; host networking exposes the class port', () => {
    for (const image of [HOST_IMAGE, 'apache/kafka:4.4.0']) {
      const spec = containerSpec({ image, labelValue: 'abc123', node: { ...node, classTlsKeystore: '/data/class-tls/broker.pem' }, dist, heap: '256m', task: 'run' });
      expect(spec.HostConfig?.Binds).toEqual(expect.arrayContaining(['/data/class-tls/broker.pem:/data/class-tls/broker.pem:ro', '/data/nodes/broker-1:/data/nodes/broker-1:rw']));
      expect(spec.HostConfig?.NetworkMode).toBe('host');
      expect(spec.HostConfig?.Binds?.filter((b) => b.includes('class-tls'))).toEqual(['/data/class-tls/broker.pem:/data/class-tls/broker.pem:ro']);
    }
    expect(containerSpec({ image: HOST_IMAGE, labelValue: 'abc123', node, dist, heap: '256m', task: 'run' }).HostConfig?.Binds?.some((b) => b.includes('class-tls'))).toBe(false);
  });

  it('formats with the storage tool in a one-shot container labelled as such', () => {
    const spec = containerSpec({ image: HOST_IMAGE, labelValue: 'abc123', node, dist, heap: '256m', task: 'format', clusterId: 'CLUSTERID123' });
    expect(spec.name).toBe('kafka-lab-abc123-broker-1-format');
    expect(spec.Labels?.['kafka-lab.task']).toBe('format');
    const cmd = spec.Cmd as string[];
    expect(cmd.slice(cmd.indexOf('kafka.tools.StorageTool'))).toEqual([
      'kafka.tools.StorageTool', 'format', '--cluster-id=CLUSTERID123', '-c', node.propertiesPath, '--ignore-formatted',
    ]);
    expect(() => containerSpec({ image: HOST_IMAGE, labelValue: 'x', node, dist, heap: '256m', task: 'format' })).toThrow(/clusterId/);
  });

  it('runs the official image through its own scripts on the same server.properties', () => {
    const image = 'apache/kafka:3.9.1';
    expect(imageMode(image)).toBe('official');
    const run = containerSpec({ image, labelValue: 'abc123', node, dist, heap: '384m', task: 'run', user: '1000:1000' });
    expect(run.Entrypoint).toEqual(['/opt/kafka/bin/kafka-server-start.sh']);
    expect(run.Cmd).toEqual([node.propertiesPath]);
    expect(run.Env).toEqual(expect.arrayContaining(['KAFKA_HEAP_OPTS=-Xmx384m -Xms64m', `KAFKA_LOG4J_OPTS=-Dlog4j.configuration=file:${node.log4jPath}`]));
    expect(run.HostConfig?.Binds).toEqual(['/data/nodes/broker-1:/data/nodes/broker-1:rw']);
    expect(run.HostConfig?.Tmpfs).toBeUndefined();
    const fmt = containerSpec({ image, labelValue: 'abc123', node, dist, heap: '384m', task: 'format', clusterId: 'C1' });
    expect(fmt.Entrypoint).toEqual(['/opt/kafka/bin/kafka-storage.sh']);
    expect(fmt.Cmd).toEqual(['format', '--cluster-id=C1', '-c', node.propertiesPath, '--ignore-formatted']);
  });

  it('gives the official Kafka 4 image its log4j2 file and formats with the labs\' feature levels', () => {
    const image = 'apache/kafka:4.4.0';
    const dist4 = { ...dist, version: '4.4.0' };
    const node4 = { ...node, log4jPath: '/data/nodes/broker-1/log4j2.properties' };
    const run = containerSpec({ image, labelValue: 'abc123', node: node4, dist: dist4, heap: '384m', task: 'run' });
    expect(run.Env).toEqual(expect.arrayContaining([`KAFKA_LOG4J_OPTS=-Dlog4j2.configurationFile=${node4.log4jPath}`]));
    const fmt = containerSpec({ image, labelValue: 'abc123', node: node4, dist: dist4, heap: '384m', task: 'format', clusterId: 'C1' });
    expect(fmt.Cmd).toEqual(['format', '--cluster-id=C1', '-c', node.propertiesPath, '--ignore-formatted', '--feature', 'group.version=1']);
  });
});

describe('docker driver helpers', () => {
  it('names containers with the owner tag, hashing values that are not name-safe', () => {
    expect(containerName('abc123', 'controller', 100)).toBe('kafka-lab-abc123-controller-100');
    const tag = nameTag('/var/lib/kafka-lab/data dir');
    expect(tag).toMatch(/^[0-9a-f]{12}$/);
    expect(nameTag('/var/lib/kafka-lab/data dir')).toBe(tag);
  });

  it('connects by LAB_DOCKER_SOCKET, else DOCKER_HOST, else the default socket', () => {
    const base = { socketPath: undefined, host: undefined, image: 'x', network: 'host' as const };
    expect(dockerConnection({ ...base, socketPath: '/run/p.sock', host: 'tcp://h:1' })).toEqual({ socketPath: '/run/p.sock' });
    expect(dockerConnection({ ...base, host: 'unix:///run/d.sock' })).toEqual({ socketPath: '/run/d.sock' });
    expect(dockerConnection({ ...base, host: 'tcp://127.0.0.1:2375' })).toEqual({ host: '127.0.0.1', port: 2375, protocol: 'http' });
    expect(dockerConnection(base)).toEqual({ socketPath: '/var/run/docker.sock' });
  });

  it('reads framed and raw container logs', () => {
    const frame = (stream: number, text: string) => {
      const body = Buffer.from(text);
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    expect(demuxDockerLog(Buffer.concat([frame(1, 'Formatting '), frame(2, 'failed\n')]))).toBe('Formatting failed\n');
    expect(demuxDockerLog(Buffer.from('plain text'))).toBe('plain text');
  });

  it('keeps the words of a failed tool and drops its stack frames', () => {
    const out = [
      'log4j:WARN No appenders could be found for logger (kafka.utils.Log4jControllerRegistration$).',
      'Exception in thread "main" org.apache.kafka.common.config.ConfigException: Missing required configuration `zookeeper.connect` which has no default value.',
      '\tat org.apache.kafka.common.config.ConfigDef.parseValue(ConfigDef.java:493)',
      '\tat kafka.tools.StorageTool.main(StorageTool.scala)',
      '\t... 3 more',
      '',
    ].join('\n');
    expect(outputTail(out)).toBe(
      'Exception in thread "main" org.apache.kafka.common.config.ConfigException: Missing required configuration `zookeeper.connect` which has no default value.',
    );
  });

  it('names the signal behind a 128+n exit code', () => {
    expect(signalOfExitCode(137)).toBe('SIGKILL');
    expect(signalOfExitCode(143)).toBe('SIGTERM');
    expect(signalOfExitCode(1)).toBeNull();
    expect(signalOfExitCode(null)).toBeNull();
  });

  it('says which image is missing and how to get it', () => {
    expect(missingImage('apache/kafka:3.9.1')).toContain('docker pull apache/kafka:3.9.1');
    expect(missingImage('localhost/kafka-lab-host-runtime:latest')).toContain('podman import');
  });
});

describe('compose/ (documentation for Docker users)', () => {
  const composeDir = path.resolve(__dirname, '../../compose');
  const env = Object.fromEntries(
    fs.readFileSync(path.join(composeDir, '.env'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

  it('pins the same image the docker driver defaults to', () => {
    expect(env.KAFKA_IMAGE).toBe(loadConfig({}).docker.image);
  });

  it('runs 1 controller + 3 brokers with exactly the properties the lab generates', () => {
    const doc = YAML.parse(fs.readFileSync(path.join(composeDir, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment: Record<string, string | number>; network_mode: string }>;
    };
    const shape = { brokers: 3, controllers: 1 };
    const nodes = [controllerAddress(9092, 0), ...[0, 1, 2].map((i) => brokerAddress(9092, i))];
    // prometheus and grafana (profile metrics) are checked in compose-metrics.spec.ts.
    expect(Object.keys(doc.services).filter((s) => !['prometheus', 'grafana'].includes(s)).sort()).toEqual(['broker-0', 'broker-1', 'broker-2', 'controller-100']);
    for (const n of nodes) {
      const svc = doc.services[`${n.role}-${n.id}`];
      expect(svc.network_mode).toBe('host');
      // The official image turns KAFKA_FOO_BAR into foo.bar.
      const fromCompose = new Map(
        Object.entries(svc.environment)
          .filter(([k]) => k.startsWith('KAFKA_') && k !== 'KAFKA_HEAP_OPTS')
          .map(([k, v]) => [k.slice('KAFKA_'.length).toLowerCase().replace(/_/g, '.'), String(v)]),
      );
      const generated = parseProperties(renderServerProperties({ node: n, shape, portBase: 9092, dataDir: '/tmp/kraft-combined-logs', kafkaVersion: loadConfig({}).kafkaVersion }));
      expect(Object.fromEntries(fromCompose)).toEqual(Object.fromEntries(generated));
    }
  });
});
