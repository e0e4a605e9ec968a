import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabConfig } from '../../config/lab-config';
import type { KafkaDistribution } from '../cluster.types';
import { RunResult, runCommand } from '../drivers/process-runner';
import { kafkaPom, log4j2BindingPom, log4j2VersionFor } from './kafka-pom';
import { usesLog4j2, versionProblem } from './kafka-version';
import { LabError } from '../../common/lab-error';

const log = new Logger('KafkaDistribution');

/**
 * Java or Kafka's jars are missing and could not be fetched: a sentence that says what to install or
 * set. At boot it stops the service; later (a fetch failing during a start) it is the nodes' reason.
 */
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
    throw new DistributionError(`Kafka needs Java 17 or newer, but \`${candidate}\` is Java ${major || 'of an unknown version'}: install Java 17 or set JAVA_HOME.`);
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

/**
 * A finished fetch of this version. A Kafka 4 cache without the log4j2 binding was made by an earlier
 * lab (with log4j 1's): it is fetched again, so its nodes log through log4j2.
 */
function cacheComplete(home: string, version: string): boolean {
  const libsDir = path.join(home, 'libs');
  if (!fs.existsSync(path.join(home, '.complete')) || !hasKafkaJar(libsDir)) return false;
  return !usesLog4j2(version) || fs.readdirSync(libsDir).some((j) => j.startsWith('log4j-slf4j-impl-'));
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
    const version = hasKafkaJar(libsDir) ? versionFromLibs(libsDir) : null;
    if (!version) {
      throw new DistributionError(`KAFKA_HOME is ${config.kafkaHome}, but ${libsDir} holds no kafka_2.13 jar: point it at an unpacked Kafka download (4.x or 3.9).`);
    }
    const wrong = versionProblem(version, `The Kafka in KAFKA_HOME (${config.kafkaHome})`);
    if (wrong) throw new DistributionError(wrong);
    return { kind: 'ready', dist: { version, libsDir, javaBin, origin: `KAFKA_HOME ${config.kafkaHome}` } };
  }
  const home = path.join(config.kafkaCacheDir, `kafka-${config.kafkaVersion}`);
  const libsDir = path.join(home, 'libs');
  if (cacheComplete(home, config.kafkaVersion)) {
    return { kind: 'ready', dist: { version: config.kafkaVersion, libsDir, javaBin, origin: `cache ${home}` } };
  }
  try {
    await runCommand('mvn', ['-v'], { timeoutMs: 60_000, env });
  } catch {
    throw new DistributionError(
      'Kafka is not cached yet and Maven (`mvn`) is not installed to fetch it: install Maven (e.g. `apt-get install maven`) or set KAFKA_HOME to an unpacked Kafka download.',
    );
  }
  return { kind: 'fetch', javaBin, home };
}

/** Maven's words for an artifact the repository does not have (not for a failed download). */
const NOT_FOUND = /Could not find artifact org\.apache\.kafka:kafka_2\.13|org\.apache\.kafka:kafka_2\.13:\w+:[\w.-]+ was not found/;

const notReleased = (version: string) =>
  new DistributionError(
    `Kafka ${version} is not on Maven Central (there is no org.apache.kafka:kafka_2.13:${version}): set KAFKA_VERSION to a released version such as 4.4.0 or 3.9.2.`,
  );

/**
 * Asks Maven for kafka_2.13's pom alone (a second or two): a release that does not exist stops the
 * service at boot with a sentence instead of failing the first start. A failed download (offline, a
 * proxy) says nothing here: the fetch itself will say why.
 */
async function checkReleased(version: string, env: NodeJS.ProcessEnv): Promise<void> {
  const res = await runCommand('mvn', ['-B', 'dependency:get', `-Dartifact=org.apache.kafka:kafka_2.13:${version}:pom`, '-Dtransitive=false'], { timeoutMs: 120_000, env });
  if (res.code !== 0 && NOT_FOUND.test(res.stdout + res.stderr)) throw notReleased(version);
}

/** The boot check: fails at once, with a sentence, when Kafka can be neither found nor fetched. */
export async function checkKafkaPrerequisites(config: LabConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const found = await inspect(config, env);
  if (found.kind === 'fetch') await checkReleased(config.kafkaVersion, env);
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
      if (cacheComplete(home, version)) return;
      const st = fs.statSync(lock, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 10 * 60_000) fs.rmSync(lock, { recursive: true, force: true }); // a fetch that died
      if (Date.now() > deadline) throw new DistributionError(`Another fetch of Kafka into ${home} did not finish in 15 minutes.`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    // The one that held the lock before may have just finished.
    if (cacheComplete(home, version)) return;
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
    if (res.code !== 0 || !hasKafkaJar(tmp)) throw fetchFailed(version, res);
    if (usesLog4j2(version)) await addLog4j2Binding(version, home, tmp, env);
    fs.rmSync(path.join(home, '.complete'), { force: true });
    fs.rmSync(path.join(home, 'libs'), { recursive: true, force: true });
    fs.renameSync(tmp, path.join(home, 'libs'));
    fs.writeFileSync(path.join(home, '.complete'), new Date().toISOString() + '\n');
    onProgress(`Kafka ${version} is ready (${fs.readdirSync(path.join(home, 'libs')).length} jars).`);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function fetchFailed(version: string, res: RunResult): DistributionError {
  const text = res.stdout + res.stderr;
  if (NOT_FOUND.test(text)) return notReleased(version);
  return new DistributionError(`Fetching Kafka ${version} from Maven Central with mvn failed (exit ${res.code}): ${mavenErrors(text, 5)}`);
}

/** The last `n` lines of Maven's output that say what went wrong. */
function mavenErrors(text: string, n: number): string {
  return text.split('\n').filter((l) => /ERROR|Could not/.test(l)).slice(-n).join('\n') || 'no error text';
}

/**
 * Kafka 4's jars log through slf4j 1.7 but bring no binding to log4j2 (Kafka's own download ships
 * log4j-slf4j-impl in libs/), and 4.0's bring no log4j2 at all: without them every log line is lost.
 * The binding of the log4j version Kafka chose (4.1+), or of the one 4.0's download has, with its
 * log4j-api and log4j-core.
 */
async function addLog4j2Binding(version: string, home: string, libs: string, env: NodeJS.ProcessEnv): Promise<void> {
  const jars = fs.readdirSync(libs);
  if (jars.some((j) => j.startsWith('log4j-slf4j-impl-'))) return;
  const log4j = log4j2VersionFor(jars);
  const pom = path.join(home, 'pom-logging.xml');
  fs.writeFileSync(pom, log4j2BindingPom(log4j));
  const res = await runCommand('mvn', ['-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`], { timeoutMs: 5 * 60_000, cwd: home, env });
  if (res.code !== 0 || !fs.readdirSync(libs).some((j) => j.startsWith('log4j-slf4j-impl-'))) {
    throw new DistributionError(`Fetching log4j ${log4j} (Kafka ${version}'s logging) with mvn failed (exit ${res.code}): ${mavenErrors(res.stdout + res.stderr, 3)}`);
  }
}
