import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOST_MAIN_CLASS, compileHost } from '../../src/client-host/host-compiler';
import type { KafkaDistribution } from '../../src/cluster/cluster.types';
import { runCommand } from '../../src/cluster/drivers/process-runner';
import { locateKafka } from '../../src/cluster/distribution/kafka-distribution';
import { loadConfig } from '../../src/config/lab-config';

/**
 * The client host's Java source is compiled at run time against the running Kafka's kafka-clients,
 * so it must compile against every 4.x a student may pick (KAFKA_VERSION): the calls that differ
 * between releases live in Compat.java, by reflection. The newest patch of each 4.x minor line,
 * compiled with the default distribution's other jars (JSON, logging) and that release's
 * kafka-clients jar, fetched once with mvn into the lab's Kafka cache; then the host runs on it and its
 * `ready` line names the call of each kind Compat found. Add a line when Kafka ships one.
 */
const OFFSET_INFO = { shareOffsets: 'partitionsToOffsetInfo', close: 'close(CloseOptions)', lockTimeout: 'acquisitionLockTimeoutMs' };
const LINES: Array<[string, { shareOffsets: string; close: string; lockTimeout: string }]> = [
  ['4.0.1', { shareOffsets: 'none', close: 'close(Duration)', lockTimeout: 'none' }],
  ['4.1.1', { shareOffsets: 'partitionsToOffsetAndMetadata', close: 'close(CloseOptions)', lockTimeout: 'none' }],
  ['4.2.1', OFFSET_INFO],
  ['4.3.1', OFFSET_INFO],
  ['4.4.0', OFFSET_INFO],
];

describe('the client host compiles against the Java clients of every 4.x minor line', () => {
  let base: KafkaDistribution;
  let cacheDir: string;
  let work: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-host-4x-'));
    const { LAB_KAFKA_CACHE, XDG_CACHE_HOME } = process.env;
    const config = loadConfig({ LAB_DATA_DIR: path.join(work, 'lab'), LAB_AUTOSTART: 'false', LAB_KAFKA_CACHE, XDG_CACHE_HOME });
    // the default release: the global setup's lab server has fetched it already
    base = await locateKafka(config);
    cacheDir = config.kafkaCacheDir;
  });

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** The kafka-clients jar of `version`: the fetched distribution's, else fetched on its own (about 7 MB). */
  async function clientsJar(version: string): Promise<string> {
    const inDistribution = path.join(cacheDir, `kafka-${version}`, 'libs', `kafka-clients-${version}.jar`);
    if (fs.existsSync(inDistribution)) return inDistribution;
    const dir = path.join(cacheDir, 'kafka-clients');
    const jar = path.join(dir, `kafka-clients-${version}.jar`);
    if (!fs.existsSync(jar)) {
      const res = await runCommand('mvn', ['-B', '-q', 'dependency:copy', `-Dartifact=org.apache.kafka:kafka-clients:${version}`, `-DoutputDirectory=${dir}`], { timeoutMs: 120_000 });
      if (res.code !== 0 || !fs.existsSync(jar)) throw new Error(`mvn could not fetch kafka-clients ${version}: ${(res.stdout + res.stderr).slice(-500)}`);
    }
    return jar;
  }

  it.each(LINES)('Kafka %s', async (version, calls) => {
    const libsDir = path.join(work, `libs-${version}`);
    fs.mkdirSync(libsDir);
    for (const f of fs.readdirSync(base.libsDir).filter((f) => !f.startsWith('kafka-clients-'))) fs.symlinkSync(path.join(base.libsDir, f), path.join(libsDir, f));
    fs.symlinkSync(await clientsJar(version), path.join(libsDir, `kafka-clients-${version}.jar`));

    const started = Date.now();
    const compiled = await compileHost({ ...base, version, libsDir, origin: `kafka-clients ${version}` }, path.join(work, 'cache'));
    const [classes] = compiled.classPath.split(path.delimiter);
    expect(fs.existsSync(path.join(classes, 'kafkalab', 'host', 'Compat.class'))).toBe(true);
    expect(compiled.classPath).toContain(`kafka-clients-${version}.jar`);
    console.log(`client host compiled against kafka-clients ${version} in ${Date.now() - started} ms`);

    // Run it: with no stdin the host says `ready` and ends at once.
    const run = await runCommand(base.javaBin, [...compiled.logOptions, '-cp', compiled.classPath, HOST_MAIN_CLASS], { timeoutMs: 60_000 });
    const ready = JSON.parse(run.stdout.split('\n')[0]);
    expect(ready).toMatchObject({ ev: 'ready', compat: calls });
    expect(run.code).toBe(0);
  });
});
