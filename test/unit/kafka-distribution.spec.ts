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
});
