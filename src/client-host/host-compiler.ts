import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KafkaDistribution } from '../cluster/cluster.types';
import { runCommand } from '../cluster/drivers/process-runner';
import { LabError } from '../common/lab-error';

/** The Java source of the host, next to this file in the repository (dist/ holds no .java). */
export const HOST_SOURCE_DIR = path.resolve(__dirname, '..', '..', 'src', 'client-host', 'java');
export const HOST_MAIN_CLASS = 'kafkalab.host.Main';

/** The jars of the distribution the host needs: the clients, JSON, compression and one slf4j logging backend. */
const NEEDED_JARS = /^(kafka-clients|jackson-(core|databind|annotations)|lz4-java|snappy-java|zstd-jni|slf4j-api|slf4j-reload4j|reload4j|log4j-(api|core|slf4j-impl|slf4j2-impl))-\d.*\.jar$/;

/** A compiled host, ready to run. */
export interface CompiledHost {
  classPath: string;
  /** JVM options that point whichever logging backend the distribution has at stderr (the host log). */
  logOptions: string[];
}

/** Whether this Kafka's Java clients can host members: KafkaShareConsumer and group.protocol=consumer came with 4.x. */
export function hostSupports(version: string): boolean {
  const major = Number(/^(\d+)\./.exec(version)?.[1] ?? NaN);
  return major >= 4 || Number.isNaN(major);
}

export function unsupportedSentence(version: string): string {
  return `Kafka ${version}'s Java clients have neither the consumer group protocol (KIP-848) nor share groups (KIP-932): consumer-protocol and share consumers need Kafka 4.0 or newer (share groups 4.2+); start the server with KAFKA_VERSION=4.4.0.`;
}

/** Where `javac` is: next to the distribution's `java`, else in JAVA_HOME, else on the PATH. */
export function javacFor(javaBin: string, env: NodeJS.ProcessEnv = process.env): string {
  if (path.isAbsolute(javaBin)) return path.join(path.dirname(javaBin), 'javac');
  if (env.JAVA_HOME) return path.join(env.JAVA_HOME, 'bin', 'javac');
  return 'javac';
}

function sourceFiles(): string[] {
  return fs.readdirSync(path.join(HOST_SOURCE_DIR, 'kafkalab', 'host')).filter((f) => f.endsWith('.java')).sort().map((f) => path.join(HOST_SOURCE_DIR, 'kafkalab', 'host', f));
}

/** One compile per Kafka version and source: a hash of both names the cache folder. */
export function hostCacheDir(cacheRoot: string, version: string): string {
  const h = createHash('sha256').update(version);
  for (const f of sourceFiles()) h.update(path.basename(f)).update(fs.readFileSync(f));
  return path.join(cacheRoot, 'client-host', `${version}-${h.digest('hex').slice(0, 12)}`);
}

/**
 * Compiles the host against the distribution's kafka-clients once into `cacheRoot`; later calls
 * (and other servers on the machine) reuse it. The compile goes to a temporary folder renamed into
 * place, so two servers compiling at once never see half a result.
 */
export async function compileHost(dist: KafkaDistribution, cacheRoot: string): Promise<CompiledHost> {
  if (!hostSupports(dist.version)) throw new LabError('CONFLICT', unsupportedSentence(dist.version));
  const jars = fs.readdirSync(dist.libsDir).filter((f) => NEEDED_JARS.test(f)).map((f) => path.join(dist.libsDir, f));
  if (!jars.some((j) => path.basename(j).startsWith('kafka-clients-'))) {
    throw new LabError('KAFKA_DISTRIBUTION', `${dist.libsDir} holds no kafka-clients jar, so the client host cannot run Kafka's Java consumers.`);
  }
  const dir = hostCacheDir(cacheRoot, dist.version);
  const classes = path.join(dir, 'classes');
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    const tmp = `${dir}.partial-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(path.join(tmp, 'classes'), { recursive: true });
    const javac = javacFor(dist.javaBin);
    let res;
    try {
      res = await runCommand(javac, ['-nowarn', '-encoding', 'UTF-8', '-d', path.join(tmp, 'classes'), '-cp', jars.join(path.delimiter), ...sourceFiles()], { timeoutMs: 120_000 });
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new LabError('KAFKA_DISTRIBUTION', `The client host needs a Java compiler, but \`${javac}\` could not run (${(e as Error).message}): install a JDK 17 (e.g. \`apt-get install openjdk-17-jdk-headless\`) or set JAVA_HOME to one.`);
    }
    if (res.code !== 0) {
      fs.rmSync(tmp, { recursive: true, force: true });
      const first = (res.stderr || res.stdout).split('\n').find((l) => /error:/.test(l)) ?? `exit ${res.code}`;
      throw new LabError('KAFKA_DISTRIBUTION', `The client host does not compile against Kafka ${dist.version}'s Java clients: ${first.trim()}`);
    }
    writeLogConfigs(tmp);
    fs.writeFileSync(path.join(tmp, '.complete'), new Date().toISOString() + '\n');
    try {
      fs.renameSync(tmp, dir);
    } catch {
      // another server finished the same compile first: theirs is identical
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return {
    classPath: [classes, ...jars].join(path.delimiter),
    logOptions: [`-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`, `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`],
  };
}

/** Warnings and worse to stderr, for log4j2 and for reload4j (whichever binding slf4j finds). */
function writeLogConfigs(dir: string): void {
  fs.writeFileSync(path.join(dir, 'log4j2.properties'), [
    'status = warn',
    'appender.err.type = Console',
    'appender.err.name = err',
    'appender.err.target = SYSTEM_ERR',
    'appender.err.layout.type = PatternLayout',
    'appender.err.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = warn',
    'rootLogger.appenderRef.err.ref = err',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'log4j.properties'), [
    'log4j.rootLogger=WARN, stderr',
    'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stderr.Target=System.err',
    'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n'));
}
