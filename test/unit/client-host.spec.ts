import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClientHostService, HostLauncher } from '../../src/client-host/client-host.service';
import type { HostedMemberEvents, HostedMemberSpec } from '../../src/client-host/client-host.types';
import { compileHost, hostSupports, javacFor } from '../../src/client-host/host-compiler';
import { dataDirMarker, hostFiles, sweepHostOrphan } from '../../src/client-host/jvm-process';
import { HostGone, HostRefusal, LineProtocol } from '../../src/client-host/line-protocol';
import { LabError } from '../../src/common/lab-error';
import type { LabConfig } from '../../src/config/lab-config';
import { alive } from '../support/lab-server';

const FAKE = path.join(__dirname, 'fixtures', 'fake-client-host.js');

describe('LineProtocol', () => {
  function wired() {
    const sent: Array<Record<string, unknown>> = [];
    const events: unknown[] = [];
    const noise: string[] = [];
    const p = new LineProtocol((l) => sent.push(JSON.parse(l)), (e) => events.push(e), (n) => noise.push(n));
    return { p, sent, events, noise };
  }

  it('matches answers to requests by id in any order, across chunk boundaries, and routes events', async () => {
    const { p, sent, events } = wired();
    const a = p.request('ping', {}, 1_000);
    const b = p.request('listGroups', { bootstrap: 'x' }, 1_000);
    expect(sent).toEqual([{ id: 1, op: 'ping' }, { id: 2, op: 'listGroups', bootstrap: 'x' }]);
    p.feed('{"id":2,"ok":true,"groups":[]}\n{"ev":"joined","memb');
    p.feed('er":"c1","memberEpoch":3}\n{"id":1,"ok":true,"pid":7}\n');
    await expect(b).resolves.toMatchObject({ groups: [] });
    await expect(a).resolves.toMatchObject({ pid: 7 });
    expect(events).toEqual([{ ev: 'joined', member: 'c1', memberEpoch: 3 }]);
    expect(p.pendingCount()).toBe(0);
  });

  it('a refusal carries the host sentence and code; a line that is not JSON is noise, not a crash', async () => {
    const { p, noise } = wired();
    const a = p.request('ack', {}, 1_000);
    p.feed('SLF4J: something\n{"id":1,"ok":false,"error":"does not hold t-0 offset 9","code":"NOT_HELD"}\n');
    await expect(a).rejects.toEqual(new HostRefusal('does not hold t-0 offset 9', 'NOT_HELD'));
    await expect(a).rejects.toHaveProperty('code', 'NOT_HELD');
    expect(noise).toEqual(['SLF4J: something']);
  });

  it('a request past its deadline fails with a sentence; a late answer is dropped', async () => {
    jest.useFakeTimers();
    try {
      const { p } = wired();
      const a = p.request('describeGroup', {}, 2_000);
      jest.advanceTimersByTime(2_001);
      await expect(a).rejects.toThrow("the client host did not answer 'describeGroup' within 2 s");
      p.feed('{"id":1,"ok":true}\n');
      expect(p.pendingCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('close fails every pending request and every later one with the reason', async () => {
    const { p } = wired();
    const a = p.request('start', {}, 10_000);
    p.close('the client host JVM (pid 5) was killed by SIGKILL');
    await expect(a).rejects.toEqual(new HostGone('the client host JVM (pid 5) was killed by SIGKILL'));
    await expect(p.request('ping', {}, 1_000)).rejects.toThrow('killed by SIGKILL');
  });
});

describe('ClientHostService (with a fake host process)', () => {
  let dataDir: string;
  let services: ClientHostService[] = [];
  const launcher: HostLauncher = async (_dist, config) => ({ command: process.execPath, args: [FAKE, dataDirMarker(config.dataDir)] });

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-host-'));
  });
  afterEach(async () => {
    for (const s of services) await s.beforeApplicationShutdown();
    services = [];
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function service(bootstrap: string[] = ['127.0.0.1:9092']) {
    const config = { dataDir, kafkaCacheDir: dataDir, consumerSessionTimeoutMs: 10_000 } as LabConfig;
    const dist = async () => ({ version: '4.4.0', libsDir: '/none', javaBin: 'java', origin: 'test' });
    const s = new ClientHostService(config, { bootstrapServers: () => bootstrap }, dist, launcher);
    services.push(s);
    return s;
  }

  function recorder() {
    const seen: string[] = [];
    const crashed: string[] = [];
    const events: HostedMemberEvents = {
      joined: (id, epoch) => seen.push(`joined ${id} ${epoch}`),
      rebalanced: (s) => seen.push(`rebalanced ${s.memberEpoch}`),
      records: (r) => seen.push(`records ${r.map((x) => `${x.topic}/${x.offset}=${x.value}`).join(',')}`),
      acknowledged: () => seen.push('acknowledged'),
      lockExpired: () => seen.push('lockExpired'),
      crashed: (why) => crashed.push(why),
    };
    return { seen, crashed, events };
  }

  const spec = (consumerId: string): HostedMemberSpec => ({
    consumerId, protocol: 'share', groupId: 'g', topics: ['t'], clientId: `klab-${consumerId}`, fromBeginning: true, ack: 'manual',
  });

  const until = async (what: string, ok: () => boolean) => {
    const end = Date.now() + 5_000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('starts one host for concurrent members, routes each member its own events, writes then removes the pid file', async () => {
    const s = service();
    expect(await s.listGroups()).toEqual([]);
    expect(s.pid()).toBeNull();
    const a = recorder();
    const b = recorder();
    const [ma, mb] = await Promise.all([s.startMember(spec('a'), a.events), s.startMember(spec('b'), b.events)]);
    const pid = s.pid()!;
    expect(pid).toBeGreaterThan(0);
    expect(fs.readFileSync(hostFiles(dataDir).pidFile, 'utf8')).toBe(String(pid));
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(dataDirMarker(dataDir));
    await until('both members saw their records', () => a.seen.length === 2 && b.seen.length === 2);
    expect(a.seen).toEqual(['joined m-a 1', 'records t/0=127.0.0.1:9092']);
    expect(b.seen).toEqual(['joined m-b 1', 'records t/0=127.0.0.1:9092']);
    expect(await s.listGroups()).toEqual([{ groupId: 'g', type: 'consumer', state: 'Stable' }]);
    await ma.leave(1_000);
    await mb.leave(1_000);
    await s.beforeApplicationShutdown();
    expect(s.pid()).toBeNull();
    expect(fs.existsSync(hostFiles(dataDir).pidFile)).toBe(false);
    expect(alive(pid)).toBe(false);
  });

  it('an acknowledgement of an offset the member does not hold is a 400 sentence; one it holds answers per partition', async () => {
    const s = service();
    const m = await s.startMember(spec('a'), recorder().events);
    await expect(m.acknowledge([{ topic: 't', partition: 0, offset: '99', type: 'accept' }])).rejects.toMatchObject({ code: 'BAD_INPUT', message: 'This consumer does not hold t-0 offset 99.' });
    await expect(m.acknowledge([{ topic: 't', partition: 0, offset: '3', type: 'release' }])).resolves.toEqual([{ topic: 't', partition: 0, offsets: ['3'], type: 'release' }]);
  });

  it('a host killed from outside crashes every member with a sentence naming the pid and signal; the next start runs a new host', async () => {
    const s = service();
    const a = recorder();
    const b = recorder();
    await s.startMember(spec('a'), a.events);
    const mb = await s.startMember(spec('b'), b.events);
    const first = s.pid()!;
    process.kill(first, 'SIGKILL');
    await until('crashes', () => a.crashed.length === 1 && b.crashed.length === 1);
    expect(a.crashed).toEqual([`the client host JVM (pid ${first}) was killed by SIGKILL`]);
    expect(b.crashed).toEqual(a.crashed);
    expect(s.pid()).toBeNull();
    await expect(mb.acknowledge([{ topic: 't', partition: 0, offset: '1', type: 'accept' }])).rejects.toBeInstanceOf(LabError);
    // The same consumer id starts again (recovery) in a new host.
    const again = recorder();
    await s.startMember(spec('a'), again.events);
    expect(s.pid()).not.toBe(first);
    await until('records in the new host', () => again.seen.length === 2);
    expect(a.crashed).toHaveLength(1);
  });

  it('a start the host does not answer in time is a 503 sentence, and the member is told to leave there', async () => {
    const s = service();
    s.startTimeoutMs = 300;
    await expect(s.startMember(spec('slow1'), recorder().events)).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE', message: expect.stringContaining("did not answer 'start'") });
    const log = () => fs.readFileSync(hostFiles(dataDir).logFile, 'utf8');
    await until('the leave reached the host', () => log().includes('op leave slow1'));
    expect(log().indexOf('op start slow1')).toBeLessThan(log().indexOf('op leave slow1'));
  });

  it('refuses members without brokers, and after shutdown began', async () => {
    const none = service([]);
    await expect(none.startMember(spec('a'), recorder().events)).rejects.toMatchObject({ code: 'CLUSTER_NOT_RUNNING' });
    const s = service();
    await s.beforeApplicationShutdown();
    await expect(s.startMember(spec('a'), recorder().events)).rejects.toMatchObject({ code: 'WRONG_STATE' });
    expect(s.pid()).toBeNull();
  });
});

describe('sweepHostOrphan', () => {
  it('kills a host of this data dir named by its pid file, and leaves a process without the marker alone', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-sweep-'));
    const files = hostFiles(dataDir);
    fs.mkdirSync(files.dir, { recursive: true });
    const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', dataDirMarker(dataDir)], { stdio: 'ignore' });
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await Promise.all([orphan, other].map((c) => new Promise((r) => c.once('spawn', r))));
      fs.writeFileSync(files.pidFile, String(other.pid));
      expect(await sweepHostOrphan(dataDir)).toBeNull();
      expect(alive(other.pid!)).toBe(true);
      fs.writeFileSync(files.pidFile, String(orphan.pid));
      const gone = new Promise((r) => orphan.once('exit', r));
      expect(await sweepHostOrphan(dataDir)).toBe(orphan.pid);
      await gone;
      expect(fs.existsSync(files.pidFile)).toBe(false);
    } finally {
      orphan.kill('SIGKILL');
      other.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('compileHost', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-compile-'));
    fs.mkdirSync(path.join(dir, 'libs'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dist = (version: string, javaBin = 'java') => ({ version, libsDir: path.join(dir, 'libs'), javaBin, origin: 'test' });

  it('needs the Java clients of Kafka 4 or newer, and says so for 3.9 (409)', async () => {
    expect(hostSupports('3.9.2')).toBe(false);
    expect(hostSupports('4.0.0')).toBe(true);
    expect(hostSupports('4.4.0')).toBe(true);
    await expect(compileHost(dist('3.9.2'), dir)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('need Kafka 4.0 or newer') });
  });

  it('says what is missing: the kafka-clients jar, or a javac next to the java', async () => {
    await expect(compileHost(dist('4.4.0'), dir)).rejects.toMatchObject({ code: 'KAFKA_DISTRIBUTION', message: expect.stringContaining('holds no kafka-clients jar') });
    fs.writeFileSync(path.join(dir, 'libs', 'kafka-clients-4.4.0.jar'), '');
    expect(javacFor('/opt/jdk/bin/java')).toBe('/opt/jdk/bin/javac');
    await expect(compileHost(dist('4.4.0', path.join(dir, 'no-jdk', 'bin', 'java')), dir)).rejects.toMatchObject({
      code: 'KAFKA_DISTRIBUTION',
      message: expect.stringContaining('needs a Java compiler'),
    });
    // Nothing half-made is left in the cache.
    expect(fs.readdirSync(path.join(dir, 'client-host'))).toEqual([]);
  });
});
