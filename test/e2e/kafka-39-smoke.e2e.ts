import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, freePortBase } from '../support/free-ports';
import { kcat } from '../support/kcat';
import { api, uniqueName, waitFor } from '../support/lab';
import { ROOT, ServerHandle, kafkaPidsUnder, startLabServer } from '../support/lab-server';

/**
 * KAFKA_VERSION=3.9.2 still runs the classic labs: a SECOND lab server (own data dir, own port base,
 * 1 controller + 1 broker) on Kafka 3.9.2, whose jars the server fetches itself into the shared cache
 * when they are not there (as in CI). Start, a topic, produce, a classic group reads it all, describe.
 */
describe('Kafka 3.9.2 smoke (second server, KAFKA_VERSION=3.9.2)', () => {
  const token = 'kafka-39-smoke-token';
  const runDir = path.join(ROOT, '.test-data', uniqueName('k39'));
  const dataDir = path.join(runDir, 'lab');
  let server: ServerHandle | undefined;
  const http = () => api(token, server!.url);

  beforeAll(async () => {
    const [port, base] = await Promise.all([freePort(), freePortBase()]);
    const env = {
      PORT: String(port), LAB_DATA_DIR: dataDir, LAB_KAFKA_PORT_BASE: String(base), LAB_INSTRUCTOR_TOKEN: token,
      LAB_BROKERS: '1', LAB_CONTROLLERS: '1', KAFKA_VERSION: '3.9.2',
      // The class listener and the StandardAuthorizer on 3.9 too (the last test signs in over it).
      LAB_KAFKA_PUBLIC_HOST: '127.0.0.1',
    };
    // A first fetch of 3.9.2 (about 60 jars) is part of the start on a fresh machine.
    server = await startLabServer(env, { logFile: path.join(runDir, 'server.log'), timeoutMs: 600_000 });
  });

  afterAll(async () => {
    await server?.stop();
    expect(kafkaPidsUnder(dataDir)).toEqual([]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a topic, a produce, a classic group and a describe on 3.9.2, logging through log4j 1', async () => {
    const cluster = (await http().get('/api/cluster').expect(200)).body;
    expect(cluster).toMatchObject({ state: 'running', kafkaVersion: '3.9.2' });
    // 3.9 logs through reload4j with the lab's log4j.properties, into each node's server.log.
    const node0 = path.join(dataDir, 'cluster', 'nodes', '0');
    expect(fs.existsSync(path.join(node0, 'log4j.properties'))).toBe(true);
    expect(fs.readFileSync(path.join(node0, 'server.log'), 'utf8')).toMatch(/^\[[^\]]+\] INFO .*Kafka version: 3\.9\.2/m);

    await http().post('/api/topics').send({ name: 'smoke', partitions: 2, replicationFactor: 1, configs: { 'retention.ms': '3600000' } }).expect(201);
    const values = ['a', 'b', 'c', 'd'];
    await http().post('/api/topics/smoke/messages').set('content-type', 'text/plain').send(values.join('\n')).expect(201);

    const c = (await http().post('/api/consumers').send({ topic: 'smoke', groupId: 'smoke-group', fromBeginning: true }).expect(201)).body;
    expect(c.protocol ?? 'classic').toBe('classic');
    const got = await waitFor('the classic member to read every message', async () => {
      const r = await http().get(`/api/consumers/${c.id}/messages?after=0&limit=100`).expect(200);
      const v = (r.body.messages as Array<{ value: string }>).map((m) => m.value).sort();
      return v.length === values.length && v;
    }, 60_000, 250);
    expect(got).toEqual(values);
    const group = (await http().get('/api/groups/smoke-group').expect(200)).body;
    expect(group.members).toHaveLength(1);

    // Kafka 4's group protocols are refused with a sentence on 3.9.
    const refused = await http().post('/api/consumers').send({ topic: 'smoke', groupId: 'smoke-new', protocol: 'consumer' }).expect(409);
    expect(refused.body.message).toMatch(/Kafka 4\.0 or newer, but this cluster runs Kafka 3\.9\.2/);

    // The text is what 3.9.2's kafka-topics.sh --describe prints (3.9's config order).
    const text = (await http().get('/api/topics/smoke?format=text').expect(200)).text;
    expect(text.split('\n')[0]).toMatch(/^Topic: smoke\tTopicId: \S+\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: min\.insync\.replicas=1,segment\.bytes=16777216,retention\.ms=3600000,unclean\.leader\.election\.enable=false$/);
    expect(text.split('\n')[1]).toBe('\tTopic: smoke\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: ');
    await http().delete(`/api/consumers/${c.id}`).expect(204);
  });

  it('lets kcat sign in with SCRAM on the class listener of 3.9, even with Debian\'s old librdkafka', async () => {
    const me = (await http().get('/api/me/kafka').expect(200)).body;
    expect(me).toMatchObject({ securityProtocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', username: 'instructor' });
    const args = (me.kcat as string).split(' ').slice(1, -1);
    // No kcatEnv(): 3.9 still accepts the SCRAM final message of librdkafka < 2.6.1 (Kafka 4 does not).
    // The instructor's SCRAM user is made by the reconcile the server runs once the cluster is up: ask until it is there.
    const meta = await waitFor('kcat to sign in as the instructor', async () => JSON.parse(await kcat([...args, '-L', '-J'], undefined, 15_000)), 60_000, 1000);
    expect(meta.brokers.map((b: { name: string }) => b.name)).toEqual(me.bootstrapServers.split(','));
    expect(meta.topics.map((t: { topic: string }) => t.topic)).toContain('smoke');
  });
});
