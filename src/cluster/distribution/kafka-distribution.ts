import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabConfig } from '../../config/lab-config';
import type { KafkaDistribution } from '../cluster.types';
import { runCommand } from '../drivers/process-runner';
import { kafkaPom } from './kafka-pom';
import { LabError } from '../../common/lab-error';

const log = new Logger('KafkaDistribution');

/** A missing prerequisite, said as what to install. Stops the service at boot. */
/** Java or Kafka's jars are missing and could not be fetched: a 503 that says what to install. */
export class DistributionError extends LabError {
  constructor(message: string) {
    super('KAFKA_DISTRIBUTION', message);
  }
}

/** Finds java 17+ (JAVA_HOME first, then PATH). */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidate = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
  let out;
  try {
    out = await runCommand(candidate, ['-version'], { timeoutMs: 30_000, env });
  } catch {
    throw new DistributionError(
      'Java 17 or newer is needed to run Kafka, but no `java` was found: install it (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME.',
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out.stderr + out.stdout);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) {
    throw new DistributionError(`Kafka 3.9 needs Java 17 or newer, but \`${candidate}\` is Java ${major || 'of an unknown version'}: install Java 17 or set JAVA_HOME.`);
  }
  return candidate;
}

function hasKafkaJar(libsDir: string): boolean {
  try {
    return fs.readdirSync(libsDir).some((f) => /^kafka_2\.1[23]-.*\.jar$/.test(f));
  } catch {
    return false;
  }
}

type Located = { kind: 'ready'; dist: KafkaDistribution } | { kind: 'fetch'; javaBin: string; home: string };

/**
 * What can be known quickly: Java, and whether Kafka is at hand (KAFKA_HOME, the cache) or can be
 * fetched (Maven is installed). Throws a DistributionError saying what to install otherwise.
 */
async function inspect(config: LabConfig, env: NodeJS.ProcessEnv): Promise<Located> {
  const javaBin = await findJava(env);
  if (config.kafkaHome) {
    const libsDir = path.join(config.kafkaHome, 'libs');
    if (!hasKafkaJar(libsDir)) {
      throw new DistributionError(`KAFKA_HOME is ${config.kafkaHome}, but ${libsDir} holds no kafka_2.13 jar: point it at an unpacked Kafka 3.9 download.`);
    }
    return { kind: 'ready', dist: { version: versionFromLibs(libsDir) ?? 'unknown', libsDir, javaBin, origin: `KAFKA_HOME ${config.kafkaHome}` } };
  }
  const home = path.join(config.kafkaCacheDir, `kafka-${config.kafkaVersion}`);
  const libsDir = path.join(home, 'libs');
  if (fs.existsSync(path.join(home, '.complete')) && hasKafkaJar(libsDir)) {
    return { kind: 'ready', dist: { version: config.kafkaVersion, libsDir, javaBin, origin: `cache ${home}` } };
  }
  try {
    await runCommand('mvn', ['-v'], { timeoutMs: 60_000, env });
  } catch {
    throw new DistributionError(
      'Kafka is not cached yet and Maven (`mvn`) is not installed to fetch it: install Maven (e.g. `apt-get install maven`) or set KAFKA_HOME to an unpacked Kafka 3.9 download.',
    );
  }
  return { kind: 'fetch', javaBin, home };
}

/** The boot check: fails at once, with a sentence, when Kafka can be neither found nor fetched. */
export async function checkKafkaPrerequisites(config: LabConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await inspect(config, env);
}

/**
 * Locates Kafka: KAFKA_HOME when set, else the jars of org.apache.kafka:kafka_2.13 and their runtime
 * dependencies fetched once from Maven Central with `mvn` into a cache shared by every data dir.
 */
export async function locateKafka(
  config: LabConfig,
  onProgress: (line: string) => void = (l) => log.log(l),
  env: NodeJS.ProcessEnv = process.env,
): Promise<KafkaDistribution> {
  const found = await inspect(config, env);
  if (found.kind === 'ready') return found.dist;
  await fetchWithMaven(config.kafkaVersion, found.home, onProgress, env);
  return { version: config.kafkaVersion, libsDir: path.join(found.home, 'libs'), javaBin: found.javaBin, origin: `Maven Central, cached in ${found.home}` };
}

function versionFromLibs(libsDir: string): string | null {
  for (const f of fs.readdirSync(libsDir)) {
    const m = /^kafka_2\.1[23]-(\d+\.\d+\.\d+)\.jar$/.exec(f);
    if (m) return m[1];
  }
  return null;
}

async function fetchWithMaven(version: string, home: string, onProgress: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  fs.mkdirSync(home, { recursive: true });
  // Two servers may start at once on a fresh machine: one fetches, the other waits for its marker.
  const lock = path.join(home, '.fetching');
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (fs.existsSync(path.join(home, '.complete'))) return;
      const st = fs.statSync(lock, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 10 * 60_000) fs.rmSync(lock, { recursive: true, force: true }); // a fetch that died
      if (Date.now() > deadline) throw new DistributionError(`Another fetch of Kafka into ${home} did not finish in 15 minutes.`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    const tmp = path.join(home, 'libs.partial');
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(path.join(home, 'pom.xml'), kafkaPom(version));
    onProgress(`Fetching Apache Kafka ${version} (kafka_2.13 and its runtime jars) from Maven Central into ${home} — once per machine...`);
    let jars = 0;
    const res = await runCommand(
      'mvn',
      ['-B', '-f', path.join(home, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`],
      {
        timeoutMs: 15 * 60_000,
        cwd: home,
        env,
        onLine: (l) => {
          if (/Downloaded from .*\.jar/.test(l)) {
            jars += 1;
            if (jars % 10 === 0) onProgress(`... ${jars} jars downloaded`);
          }
        },
      },
    );
    if (res.code !== 0 || !hasKafkaJar(tmp)) {
      const tail = (res.stdout + res.stderr).split('\n').filter((l) => /ERROR|Could not/.test(l)).slice(-5).join('\n');
      throw new DistributionError(`Fetching Kafka ${version} from Maven Central with mvn failed (exit ${res.code}): ${tail || 'no error text'}`);
    }
    fs.rmSync(path.join(home, 'libs'), { recursive: true, force: true });
    fs.renameSync(tmp, path.join(home, 'libs'));
    fs.writeFileSync(path.join(home, '.complete'), new Date().toISOString() + '\n');
    onProgress(`Kafka ${version} is ready (${fs.readdirSync(path.join(home, 'libs')).length} jars).`);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
