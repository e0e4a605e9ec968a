import * as fs from 'node:fs';
import * as path from 'node:path';
import { addStudent, TestStudent } from '../support/class';
import { freePort, freePortBase } from '../support/free-ports';
import { kcat, kcatEnv, kcatLibrdkafkaVersion } from '../support/kcat';
import { api, uniqueName } from '../support/lab';
import { ROOT, ServerHandle, kafkaPidsUnder, startLabServer } from '../support/lab-server';

/**
 * LAB_KAFKA_TLS=true: a SECOND lab server (1 controller + 1 broker, own data dir and ports) whose class
 * listener is SASL_SSL. A student does what the page tells them: download ca.pem (no token), paste the
 * kcat line from GET /api/me/kafka, and produce and consume on a topic of their own; the same
 * credentials without TLS, or with the right CA but another host name than the certificate's, get nowhere.
 */
describe('class listener with TLS (second server, LAB_KAFKA_TLS=true)', () => {
  const token = 'class-kafka-tls-token';
  const runDir = path.join(ROOT, '.test-data', uniqueName('class-tls'));
  const dataDir = path.join(runDir, 'lab');
  let server: ServerHandle | undefined;
  let student: TestStudent;
  const env = kcatEnv();

  beforeAll(async () => {
    const [port, base] = await Promise.all([freePort(), freePortBase()]);
    server = await startLabServer(
      {
        PORT: String(port), LAB_DATA_DIR: dataDir, LAB_KAFKA_PORT_BASE: String(base), LAB_INSTRUCTOR_TOKEN: token,
        LAB_BROKERS: '1', LAB_CONTROLLERS: '1', LAB_KAFKA_PUBLIC_HOST: '127.0.0.1', LAB_KAFKA_TLS: 'true',
      },
      { logFile: path.join(runDir, 'server.log'), timeoutMs: 600_000 },
    );
    student = await addStudent('tls-student', server.url, token);
    // Kafka 4's SCRAM needs librdkafka >= 2.6.1 (test-prereqs.sh links one for Debian's kcat).
    process.stdout.write(`% kcat runs with librdkafka ${kcatLibrdkafkaVersion(env)}\n`);
  });

  afterAll(async () => {
    await server?.stop();
    expect(kafkaPidsUnder(dataDir)).toEqual([]);
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  /** The kcat line's arguments, without `kcat` and the trailing `-L` (tokens may be quoted for a shell). */
  function kcatArgs(line: string): string[] {
    const tokens = (line.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^(['"])(.*)\1$/, '$2'));
    expect(tokens[0]).toBe('kcat');
    expect(tokens[tokens.length - 1]).toBe('-L');
    return tokens.slice(1, -1);
  }
  /** A client property's value in the kcat arguments (`-X key=value`). */
  const setting = (args: string[], key: string) => args.find((a) => a.startsWith(`${key}=`))?.slice(key.length + 1);

  it('gives a student a kcat line that, with the downloaded CA, produces to and consumes from their own topic', async () => {
    const caRes = await api(null, server!.url).get('/api/class/ca.pem').expect(200);
    expect(caRes.headers['content-type']).toMatch(/^application\/x-pem-file/);
    expect(caRes.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // The folder the student runs the line in holds ca.pem, as the line names it.
    const workDir = path.join(runDir, 'student');
    fs.mkdirSync(workDir, { recursive: true });
    fs.writeFileSync(path.join(workDir, 'ca.pem'), caRes.text);

    const me = (await api(student.token, server!.url).get('/api/me/kafka').expect(200)).body;
    expect(me).toMatchObject({ securityProtocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', username: `s-${student.id}`, prefix: `s-${student.id}.`, caUrl: '/api/class/ca.pem' });
    const args = kcatArgs(me.kcat).map((a) => (a === 'ssl.ca.location=ca.pem' ? `ssl.ca.location=${path.join(workDir, 'ca.pem')}` : a));
    expect(setting(args, 'security.protocol')).toBe('SASL_SSL');
    expect(setting(args, 'ssl.ca.location')).toBe(path.join(workDir, 'ca.pem'));

    // Metadata over TLS: the broker advertises the public host on the class port.
    const meta = await kcat([...args, '-L', '-J'], undefined, 30_000, env);
    expect(JSON.parse(meta).brokers.map((b: { name: string }) => b.name)).toEqual([me.bootstrapServers.split(',')[0]]);

    // A topic of their own through the API, then kcat writes and reads it under the prefix.
    await api(student.token, server!.url).post('/api/topics').send({ name: 'tls-topic', partitions: 1, replicationFactor: 1 }).expect(201);
    const topic = `${me.prefix}tls-topic`;
    const values = ['one', 'two', 'three'];
    await kcat([...args, '-P', '-t', topic], values.join('\n') + '\n', 30_000, env);
    const read = await kcat([...args, '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], undefined, 30_000, env);
    expect(read.trim().split('\n')).toEqual(values);
    // The API sees what kcat wrote, under the student's own name for the topic.
    const described = (await api(student.token, server!.url).get('/api/topics/tls-topic').expect(200)).body;
    expect(described.partitions.map((p: { latestOffset: string }) => p.latestOffset)).toEqual(['3']);
  });

  it('refuses the same credentials without TLS, and a host name the certificate does not name', async () => {
    const me = (await api(student.token, server!.url).get('/api/me/kafka').expect(200)).body;
    const args = kcatArgs(me.kcat);
    const plain = args
      .filter((a, i) => !(a.startsWith('ssl.ca.location=') || (a === '-X' && args[i + 1]?.startsWith('ssl.ca.location='))))
      .map((a) => (a === 'security.protocol=SASL_SSL' ? 'security.protocol=SASL_PLAINTEXT' : a));
    expect(setting(plain, 'security.protocol')).toBe('SASL_PLAINTEXT');
    await expect(kcat([...plain, '-L', '-m', '5'], undefined, 30_000, env)).rejects.toThrow(/Failed to acquire metadata|transport failure|Disconnected/);

    // The right CA, but "localhost" where the certificate names 127.0.0.1: librdkafka checks the name.
    const ca = path.join(runDir, 'ca.pem');
    fs.writeFileSync(ca, (await api(null, server!.url).get('/api/class/ca.pem').expect(200)).text);
    const port = me.bootstrapServers.split(',')[0].split(':').pop();
    const byName = args.map((a, i) => (args[i - 1] === '-b' ? `localhost:${port}` : a.startsWith('ssl.ca.location=') ? `ssl.ca.location=${ca}` : a));
    await expect(kcat([...byName, '-L', '-m', '5'], undefined, 30_000, env)).rejects.toThrow(/certificate|verify|SSL/i);
  });
});
