import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClientHostService, javaHostLauncher } from '../../src/client-host/client-host.service';
import type { HostedMember, HostedMemberEvents, HostedMemberSpec, HostedRebalance, HostedRecord, HostedAckResult } from '../../src/client-host/client-host.types';
import { hostFiles } from '../../src/client-host/jvm-process';
import { CONSUMER_PROTOCOL_SESSION_MS } from '../../src/cluster/server-properties';
import { locateKafka } from '../../src/cluster/distribution/kafka-distribution';
import { loadConfig } from '../../src/config/lab-config';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { freePort } from '../support/free-ports';
import { ROOT, alive, kafkaPidsUnder, startLabServer } from '../support/lab-server';

/**
 * The client host in-process against the shared cluster (Kafka 4.4): Kafka's own Java clients for
 * the consumer group protocol (KIP-848) and share groups (KIP-932) in one JVM of this test's own,
 * with a data dir of its own (the shared server runs its own host).
 */

interface Seen {
  joined: Array<{ memberId: string; epoch: number }>;
  steps: HostedRebalance[];
  records: HostedRecord[];
  acks: HostedAckResult[][];
  expired: string[];
  crashed: string[];
}

function recorder(): { seen: Seen; events: HostedMemberEvents } {
  const seen: Seen = { joined: [], steps: [], records: [], acks: [], expired: [], crashed: [] };
  return {
    seen,
    events: {
      joined: (memberId, epoch) => seen.joined.push({ memberId, epoch }),
      rebalanced: (s) => seen.steps.push(s),
      records: (r) => seen.records.push(...r),
      acknowledged: (r) => seen.acks.push(r),
      lockExpired: (r) => seen.expired.push(...r.map((x) => x.offset)),
      crashed: (why) => seen.crashed.push(why),
    },
  };
}

const partitionsOf = (s: Array<{ partitions: number[] }>) => s.flatMap((tp) => tp.partitions).sort((a, b) => a - b);

async function createTopic(partitions: number): Promise<string> {
  const name = uniqueName('host');
  const r = await api().post('/api/topics').send({ name, partitions, replicationFactor: 3 });
  expect(r.status).toBe(201);
  return name;
}

async function produce(topic: string, values: string[], partitions: number): Promise<void> {
  const r = await api().post(`/api/topics/${topic}/messages`).send({ messages: values.map((value, i) => ({ key: `k${i}`, value, partition: i % partitions })) });
  expect(r.status).toBe(201);
}

describe('client host (Kafka Java clients in one JVM)', () => {
  let dataDir: string;
  let host: ClientHostService;
  let n = 0;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-host-e2e-'));
    const config = loadConfig({ LAB_DATA_DIR: dataDir, LAB_AUTOSTART: 'false' });
    host = new ClientHostService(config, { bootstrapServers: () => sharedLab().bootstrap }, () => locateKafka(config), javaHostLauncher);
  });

  afterAll(async () => {
    const pid = host.pid();
    await host.beforeApplicationShutdown();
    expect(host.pid()).toBeNull();
    if (pid) expect(alive(pid)).toBe(false);
    expect(fs.existsSync(hostFiles(dataDir).pidFile)).toBe(false);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const spec = (protocol: 'consumer' | 'share', groupId: string, topic: string, ack: 'auto' | 'manual' = 'auto'): HostedMemberSpec => {
    n += 1;
    const consumerId = `e2e${n}`;
    return { consumerId, protocol, groupId, topics: [topic], clientId: `klab-${consumerId}`, fromBeginning: true, ack };
  };

  it('a consumer-protocol member joins with an epoch and reads; a second member takes only the partitions that move, the first keeps the rest', async () => {
    const topic = await createTopic(4);
    await produce(topic, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 4);
    const group = uniqueName('host-g');
    const a = recorder();
    const ma = await host.startMember(spec('consumer', group, topic), a.events);
    expect(host.pid()).toBeGreaterThan(0);
    await waitFor('member a reads all 8 records', () => a.seen.records.length >= 8, 30_000);
    expect(a.seen.joined).toHaveLength(1);
    expect(a.seen.joined[0].epoch).toBeGreaterThan(0);
    expect(partitionsOf(a.seen.steps.at(-1)!.owned)).toEqual([0, 1, 2, 3]);
    expect(a.seen.records.map((r) => r.value).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(a.seen.records[0]).toMatchObject({ topic, key: expect.stringMatching(/^k\d$/), headers: {}, timestamp: expect.stringMatching(/^\d+$/), offset: expect.stringMatching(/^\d+$/) });

    const stepsBefore = a.seen.steps.length;
    const b = recorder();
    const mb = await host.startMember(spec('consumer', group, topic), b.events);
    await waitFor('member b owns two partitions', () => partitionsOf(b.seen.steps.at(-1)?.owned ?? []).length === 2, 30_000);
    await waitFor('member a is down to two partitions', () => partitionsOf(a.seen.steps.at(-1)!.owned).length === 2, 30_000);
    const aSteps = () => a.seen.steps.slice(stepsBefore);
    // Only what moved: a is revoked exactly the partitions b gets, never assigned anything anew.
    expect(partitionsOf(aSteps().flatMap((s) => s.revoked))).toEqual(partitionsOf(b.seen.steps.at(-1)!.owned));
    expect(aSteps().flatMap((s) => s.assigned)).toEqual([]);
    // The revocation is a step at a's old epoch; the coordinator bumps it once it let go (nothing moves).
    await waitFor('a reports its new epoch', () => a.seen.steps.at(-1)!.memberEpoch > a.seen.joined[0].epoch, 15_000);
    expect(partitionsOf(a.seen.steps.at(-1)!.owned)).toHaveLength(2);

    const d = await host.describeGroup(group);
    expect(d).toMatchObject({ groupId: group, type: 'consumer', state: 'Stable' });
    expect(d!.groupEpoch).toBeGreaterThanOrEqual(d!.targetAssignmentEpoch!);
    expect(d!.members.map((m) => m.clientId).sort()).toEqual([`klab-e2e${n - 1}`, `klab-e2e${n}`].sort());
    for (const m of d!.members) expect(m.memberEpoch).toBeGreaterThan(0);
    expect((await host.listGroups()).find((g) => g.groupId === group)).toMatchObject({ type: 'consumer' });

    await mb.leave(10_000);
    await waitFor('member a owns all four again after b left', () => partitionsOf(a.seen.steps.at(-1)!.owned).length === 4, 30_000);
    await ma.leave(10_000);
    expect(await host.describeGroup(group)).toMatchObject({ type: 'consumer', state: 'Empty', members: [] });
    expect(await host.describeGroup(uniqueName('no-such-group'))).toBeNull();
  });

  it('share members of one partition get different records with deliveryCount; a release comes back with deliveryCount 2; a wrong offset is a 400', async () => {
    const topic = await createTopic(1);
    await produce(topic, ['r0', 'r1', 'r2', 'r3'], 1);
    const group = uniqueName('host-s');
    const x = recorder();
    const y = recorder();
    const mx = await host.startMember(spec('share', group, topic, 'manual'), x.events);
    const my = await host.startMember(spec('share', group, topic, 'manual'), y.events);
    await waitFor('each manual share member holds one record', () => x.seen.records.length === 1 && y.seen.records.length === 1, 30_000);
    expect(x.seen.records[0].offset).not.toBe(y.seen.records[0].offset);
    expect(x.seen.records[0].deliveryCount).toBe(1);
    expect(y.seen.records[0].deliveryCount).toBe(1);
    await waitFor('both joined', () => x.seen.joined.length === 1 && y.seen.joined.length === 1, 15_000);

    await expect(mx.acknowledge([{ topic, partition: 0, offset: '999', type: 'accept' }])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const released = x.seen.records[0].offset;
    const answer = await mx.acknowledge([{ topic, partition: 0, offset: released, type: 'release' }]);
    expect(answer).toEqual([{ topic, partition: 0, offsets: [released], type: 'release' }]);
    await waitFor('the acknowledgement event', () => x.seen.acks.flat().some((r) => r.type === 'release' && r.offsets.includes(released) && !r.error), 15_000);
    const accepted = y.seen.records[0].offset;
    expect(await my.acknowledge([{ topic, partition: 0, offset: accepted, type: 'accept' }])).toEqual([{ topic, partition: 0, offsets: [accepted], type: 'accept' }]);
    const again = () => [...x.seen.records, ...y.seen.records].find((r) => r.offset === released && r.deliveryCount === 2);
    await waitFor(`offset ${released} delivered again`, again, 20_000);

    const d = await host.describeGroup(group);
    expect(d).toMatchObject({ type: 'share', state: 'Stable' });
    expect(d!.members).toHaveLength(2);
    expect(d!.shareOffsets).toEqual([{ topic, partition: 0, startOffset: expect.stringMatching(/^\d+$/) }]);
    await Promise.all([mx.leave(10_000), my.leave(10_000)]);
  });

  it('a record held past the record lock is given up and goes to another member', async () => {
    const topic = await createTopic(1);
    await produce(topic, ['only'], 1);
    const group = uniqueName('host-lock');
    const x = recorder();
    const mx = await host.startMember(spec('share', group, topic, 'manual'), x.events);
    await waitFor('x holds the record', () => x.seen.records.length === 1, 30_000);
    const y = recorder();
    const my = await host.startMember(spec('share', group, topic, 'auto'), y.events);
    await waitFor('x gives the record up at the lock', () => x.seen.expired.length === 1, 20_000);
    await waitFor('y gets it with deliveryCount 2', () => y.seen.records.some((r) => r.value === 'only' && r.deliveryCount === 2), 20_000);
    await waitFor('y accepted it implicitly', () => y.seen.acks.flat().some((r) => r.type === 'accept' && !r.error), 20_000);
    await Promise.all([mx.leave(10_000), my.leave(10_000)]);
  });

  it('a vanished member sends no leave: the group keeps it until the session timeout, then the survivor takes its partitions', async () => {
    const topic = await createTopic(2);
    const group = uniqueName('host-v');
    const a = recorder();
    const v = recorder();
    const ma = await host.startMember(spec('consumer', group, topic), a.events);
    const mv = await host.startMember(spec('consumer', group, topic), v.events);
    await waitFor('each owns one partition', () => partitionsOf(a.seen.steps.at(-1)?.owned ?? []).length === 1 && partitionsOf(v.seen.steps.at(-1)?.owned ?? []).length === 1, 30_000);
    const t0 = Date.now();
    await mv.vanish();
    await new Promise((r) => setTimeout(r, 2_000));
    // No leave: two seconds later the group still counts the vanished member.
    expect((await host.describeGroup(group))!.members).toHaveLength(2);
    expect(partitionsOf(a.seen.steps.at(-1)!.owned)).toHaveLength(1);
    await waitFor('a owns both partitions', () => partitionsOf(a.seen.steps.at(-1)!.owned).length === 2, CONSUMER_PROTOCOL_SESSION_MS + 20_000);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(CONSUMER_PROTOCOL_SESSION_MS - 1_500);
    expect((await host.describeGroup(group))!.members).toHaveLength(1);
    expect(v.seen.crashed).toEqual([]);
    await ma.leave(10_000);
  });

  it('the JVM killed from outside crashes every member with a sentence; the next start runs a new JVM', async () => {
    const topic = await createTopic(1);
    const a = recorder();
    const s = recorder();
    await host.startMember(spec('consumer', uniqueName('host-k'), topic), a.events);
    const shareSpec = spec('share', uniqueName('host-k'), topic);
    await host.startMember(shareSpec, s.events);
    await waitFor('the share member joined', () => s.seen.joined.length === 1, 30_000);
    const pid = host.pid()!;
    expect(fs.readFileSync(hostFiles(dataDir).pidFile, 'utf8')).toBe(String(pid));
    process.kill(pid, 'SIGKILL');
    await waitFor('both members crashed', () => a.seen.crashed.length === 1 && s.seen.crashed.length === 1, 10_000);
    expect(a.seen.crashed[0]).toBe(`the client host JVM (pid ${pid}) was killed by SIGKILL`);
    expect(host.pid()).toBeNull();
    const b = recorder();
    const mb: HostedMember = await host.startMember(spec('consumer', uniqueName('host-k'), topic), b.events);
    expect(host.pid()).toBeGreaterThan(0);
    expect(host.pid()).not.toBe(pid);
    await waitFor('the member in the new JVM joined', () => b.seen.joined.length === 1, 30_000);
    // The same share consumer again (a recovery): the group still lists the dead one under the same
    // client id until its session times out; the new member reports its own member id.
    const again = recorder();
    const ms = await host.startMember(shareSpec, again.events);
    await waitFor('the share member joined again', () => again.seen.joined.length === 1, 30_000);
    expect(again.seen.joined[0].memberId).not.toBe(s.seen.joined[0].memberId);
    await Promise.all([mb.leave(10_000), ms.leave(10_000)]);
  });
  it('a server killed with SIGKILL leaves no client host: the JVM ends when its stdin closes', async () => {
    const topic = await createTopic(1);
    const childDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-host-owner-'));
    // A stand-in for the lab server: the built ClientHostService in a process of its own, one member.
    const code = `
      const { ClientHostService, javaHostLauncher } = require(${JSON.stringify(path.join(ROOT, 'dist/client-host/client-host.service.js'))});
      const { locateKafka } = require(${JSON.stringify(path.join(ROOT, 'dist/cluster/distribution/kafka-distribution.js'))});
      const { loadConfig } = require(${JSON.stringify(path.join(ROOT, 'dist/config/lab-config.js'))});
      const config = loadConfig({ LAB_DATA_DIR: ${JSON.stringify(childDir)}, LAB_AUTOSTART: 'false' });
      const host = new ClientHostService(config, { bootstrapServers: () => ${JSON.stringify(sharedLab().bootstrap)} }, () => locateKafka(config), javaHostLauncher);
      const none = () => undefined;
      host.startMember({ consumerId: 'owner1', protocol: 'consumer', groupId: ${JSON.stringify(uniqueName('host-owner'))}, topics: [${JSON.stringify(topic)}], clientId: 'klab-owner1', fromBeginning: true, ack: 'auto' },
        { joined: () => process.stdout.write('joined ' + host.pid() + '\\n'), rebalanced: none, records: none, acknowledged: none, lockExpired: none, crashed: none });
      setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      owner.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      const jvm = Number(await waitFor('the member in the owner\'s host joined', () => /joined (\d+)/.exec(out)?.[1], 60_000));
      expect(alive(jvm)).toBe(true);
      process.kill(owner.pid!, 'SIGKILL');
      await waitFor(`client host JVM ${jvm} gone after its owner was killed`, () => !alive(jvm), 10_000);
    } finally {
      owner.kill('SIGKILL');
      fs.rmSync(childDir, { recursive: true, force: true });
    }
  });
  it('a lab server stopped with SIGTERM lets its hosted members leave, then stops its client host', async () => {
    const topic = await createTopic(2);
    const runDir = path.join(ROOT, '.test-data', uniqueName('host-sigterm'));
    const dataDir = path.join(runDir, 'lab');
    const token = 'host-sigterm-token';
    // A second server on the shared cluster (external driver: no Kafka JVMs of its own).
    const server = await startLabServer({
      PORT: String(await freePort()), LAB_DATA_DIR: dataDir, LAB_INSTRUCTOR_TOKEN: token,
      LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: sharedLab().bootstrap.join(','),
    }, { logFile: path.join(runDir, 'server.log'), timeoutMs: 60_000 });
    try {
      const groupId = uniqueName('host-sigterm-g');
      const body = { topic, groupId, protocol: 'consumer', fromBeginning: true };
      const c1 = await api(token, server.url).post('/api/consumers').send(body);
      expect(c1.status).toBe(201);
      const c2 = await api(token, server.url).post('/api/consumers').send(body);
      expect(c2.status).toBe(201);
      const jvm = Number(fs.readFileSync(hostFiles(dataDir).pidFile, 'utf8'));
      expect(kafkaPidsUnder(dataDir)).toEqual([jvm]);
      await waitFor('both members in the group', async () => (await host.describeGroup(groupId))?.members.length === 2, 30_000);
      const t0 = Date.now();
      await server.stop(60_000);
      expect(alive(jvm)).toBe(false);
      expect(kafkaPidsUnder(dataDir)).toEqual([]);
      // They left: the group is empty at once, not after the session timeout.
      const d = await host.describeGroup(groupId);
      expect(d!.members).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(CONSUMER_PROTOCOL_SESSION_MS);
    } finally {
      await server.stop(60_000);
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  });
});
