import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DistributionError, findJava, locateKafka } from '../../src/cluster/distribution/kafka-distribution';
import { loadConfig } from '../../src/config/lab-config';

/** A PATH holding only a fake `java` printing the given version, so no real Java or Maven is seen. */
function fakePath(javaVersion: string | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-path-'));
  if (javaVersion) {
    fs.writeFileSync(path.join(dir, 'java'), `#!/bin/sh\necho 'openjdk version "${javaVersion}" 2025-04-15' >&2\n`, { mode: 0o755 });
  }
  return dir;
}

describe('locating Java and Kafka', () => {
  it('says what to install when there is no java', async () => {
    const env = { PATH: fakePath(null) };
    await expect(findJava(env)).rejects.toThrow(DistributionError);
    await expect(findJava(env)).rejects.toThrow(/Java 17 or newer is needed.*install it/);
  });

  it('refuses a Java older than 17, naming the version', async () => {
    await expect(findJava({ PATH: fakePath('11.0.2') })).rejects.toThrow(/needs Java 17 or newer, but `java` is Java 11/);
    await expect(findJava({ PATH: fakePath('1.8.0_292') })).rejects.toThrow(/is Java 8/);
    await expect(findJava({ PATH: fakePath('17.0.15') })).resolves.toBe('java');
  });

  it('says to install Maven or set KAFKA_HOME when Kafka is not cached and mvn is missing', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-cache-'));
    const config = loadConfig({ LAB_KAFKA_CACHE: cache });
    await expect(locateKafka(config, () => undefined, { PATH: fakePath('17.0.15') })).rejects.toThrow(
      /Maven \(`mvn`\) is not installed to fetch it: install Maven .* or set KAFKA_HOME/,
    );
  });

  it('uses KAFKA_HOME when it holds Kafka jars, and says so when it does not', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-home-'));
    const env = { PATH: fakePath('17.0.15') };
    await expect(locateKafka(loadConfig({ KAFKA_HOME: home }), () => undefined, env)).rejects.toThrow(/holds no kafka_2\.13 jar/);
    fs.mkdirSync(path.join(home, 'libs'));
    fs.writeFileSync(path.join(home, 'libs', 'kafka_2.13-3.9.1.jar'), '');
    const d = await locateKafka(loadConfig({ KAFKA_HOME: home }), () => undefined, env);
    expect(d).toMatchObject({ version: '3.9.1', libsDir: path.join(home, 'libs'), origin: `KAFKA_HOME ${home}` });
  });

  it('refuses a KAFKA_HOME Kafka older than 3.9, naming it', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-home-'));
    fs.mkdirSync(path.join(home, 'libs'));
    fs.writeFileSync(path.join(home, 'libs', 'kafka_2.13-3.7.2.jar'), '');
    await expect(locateKafka(loadConfig({ KAFKA_HOME: home }), () => undefined, { PATH: fakePath('17.0.15') })).rejects.toThrow(
      `The Kafka in KAFKA_HOME (${home}) is 3.7.2, but the lab needs Kafka 3.9 or newer`,
    );
  });

  it('fetches a Kafka 4 cache again when an earlier lab left it without the log4j2 binding', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-cache-'));
    const libs = path.join(cache, 'kafka-4.4.0', 'libs');
    fs.mkdirSync(libs, { recursive: true });
    fs.writeFileSync(path.join(cache, 'kafka-4.4.0', '.complete'), '');
    for (const j of ['kafka_2.13-4.4.0.jar', 'log4j-core-2.25.5.jar', 'slf4j-reload4j-1.7.36.jar']) fs.writeFileSync(path.join(libs, j), '');
    // No mvn on this PATH: a cache taken as complete would resolve; one to fetch again says Maven is missing.
    await expect(locateKafka(loadConfig({ LAB_KAFKA_CACHE: cache }), () => undefined, { PATH: fakePath('17.0.15') })).rejects.toThrow(/Maven/);
    fs.writeFileSync(path.join(libs, 'log4j-slf4j-impl-2.25.5.jar'), '');
    await expect(locateKafka(loadConfig({ LAB_KAFKA_CACHE: cache }), () => undefined, { PATH: fakePath('17.0.15') })).resolves.toMatchObject({ version: '4.4.0', libsDir: libs });
  });
});
