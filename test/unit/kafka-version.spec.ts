import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formattedBy, metadataLevelOnDisk, newerDataBeforeStart, newerDataFromLog, recordFormattedBy } from '../../src/cluster/data-version';
import { BOOTSTRAP_CHECKPOINT_44_HEX, NEWER_RECORDS_LOG_39 } from './fixtures/kafka-4.4.0-captures';
import { KAFKA_40_LOG4J2_VERSION, kafkaPom, log4j2BindingPom, log4j2VersionFor } from '../../src/cluster/distribution/kafka-pom';
import {
  isNewerRelease, releaseOfMetadataLevel, supportsConsumerProtocol, usesLog4j2, versionProblem,
} from '../../src/cluster/distribution/kafka-version';

describe('Kafka releases the lab runs', () => {
  it('takes 3.9.x and any 4.x, and says why not otherwise', () => {
    for (const v of ['3.9.0', '3.9.2', '4.0.0', '4.4.0', '4.12.3']) expect(versionProblem(v)).toBeNull();
    expect(versionProblem('3.8.1')).toMatch(/needs Kafka 3\.9 or newer/);
    expect(versionProblem('4.4')).toMatch(/must be a Kafka release such as 4\.4\.0/);
    expect(versionProblem('3.7.0', 'The Kafka in KAFKA_HOME (/opt/k)')).toMatch(/^The Kafka in KAFKA_HOME \(\/opt\/k\) is 3\.7\.0/);
  });

  it('knows what each release brings', () => {
    expect([usesLog4j2('3.9.2'), usesLog4j2('4.0.0')]).toEqual([false, true]);
    expect([supportsConsumerProtocol('3.9.2'), supportsConsumerProtocol('4.0.0')]).toEqual([false, true]);
  });

  it('compares feature releases, not patches', () => {
    expect(isNewerRelease('4.4.0', '3.9.2')).toBe(true);
    expect(isNewerRelease('4.4.0', '4.1.1')).toBe(true);
    expect(isNewerRelease('4.4.1', '4.4.0')).toBe(false);
    expect(isNewerRelease('3.9.2', '4.4.0')).toBe(false);
  });

  it('names the release of a metadata.version feature level', () => {
    expect(releaseOfMetadataLevel(21)).toBe('3.9');
    expect(releaseOfMetadataLevel(33)).toBe('4.4');
    expect(releaseOfMetadataLevel(40)).toBe('newer than 4.4');
  });
});

describe('the Maven project that is a Kafka broker', () => {
  it('binds slf4j to reload4j for 3.9 and leaves Kafka 4 to its own log4j2', () => {
    expect(kafkaPom('3.9.2')).toContain('<artifactId>slf4j-reload4j</artifactId>');
    expect(kafkaPom('4.4.0')).not.toContain('reload4j');
    expect(kafkaPom('4.4.0')).toContain('<artifactId>kafka_2.13</artifactId>\n      <version>4.4.0</version>');
  });

  it('binds log4j2 of the version Kafka brought, or the one 4.0\'s download ships when its pom brings none', () => {
    expect(log4j2VersionFor(['kafka_2.13-4.4.0.jar', 'log4j-api-2.25.5.jar', 'log4j-core-2.25.5.jar'])).toBe('2.25.5');
    expect(log4j2VersionFor(['kafka_2.13-4.0.1.jar', 'slf4j-api-1.7.36.jar'])).toBe(KAFKA_40_LOG4J2_VERSION);
    expect(log4j2BindingPom('2.25.5')).toContain('<artifactId>log4j-slf4j-impl</artifactId>\n      <version>2.25.5</version>');
  });
});

describe('data written by a newer Kafka', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-node-'));

  it('is refused before an older Kafka starts on it, naming the dir and the way out', () => {
    const d = dir();
    expect(newerDataBeforeStart(d, `${d}/data`, '3.9.2')).toBeNull();
    recordFormattedBy(d, '4.4.0');
    expect(formattedBy(d)).toBe('4.4.0');
    expect(newerDataBeforeStart(d, `${d}/data`, '3.9.2')).toBe(
      `the data in ${d}/data was written by a newer Kafka (4.4); start with KAFKA_VERSION=4.4.0 or reset the cluster`,
    );
    expect(newerDataBeforeStart(d, `${d}/data`, '4.4.0')).toBeNull();
    expect(newerDataBeforeStart(d, `${d}/data`, '4.4.1')).toBeNull();
  });

  it('is read from the line Kafka 3.9.2 wrote when it met 4.4 data (no record of the formatting Kafka)', () => {
    // Captured from a 3.9.2 controller started on a data dir Kafka 4.4.0 formatted.
    const log = [
      '[2026-12-02 04:35:31,794] ERROR Encountered fatal fault: Error loading metadata log record 0 in snapshot at offset -1 (org.apache.kafka.server.fault.ProcessTerminatingFaultHandler)',
      'java.lang.IllegalArgumentException: No MetadataVersion with feature level 33',
      '\tat org.apache.kafka.server.common.MetadataVersion.fromFeatureLevel(MetadataVersion.java:592)',
    ].join('\n');
    expect(newerDataFromLog(log, '/n/100/data')).toBe(
      'the data in /n/100/data was written by a newer Kafka (4.4); start with KAFKA_VERSION=4.4.0 or reset the cluster',
    );
    expect(newerDataFromLog('[x] ERROR something else', '/n/100/data')).toBeNull();
  });

  it('goes by the metadata.version on disk first: a broker 4.4 formatted into a 3.9 cluster holds 3.9\'s level', () => {
    const d = dir();
    const data = path.join(d, 'data');
    fs.mkdirSync(path.join(data, '__cluster_metadata-0'), { recursive: true });
    recordFormattedBy(d, '4.4.0');
    // metadata.version 21 (3.9-IV0) as a FeatureLevelRecord writes it: the name as a compact string, then the level.
    const record = Buffer.concat([Buffer.from([17]), Buffer.from('metadata.version'), Buffer.from([0, 21])]);
    fs.writeFileSync(path.join(data, '__cluster_metadata-0', '00000000000000000000.log'), record);
    expect(metadataLevelOnDisk(data)).toBe(21);
    expect(newerDataBeforeStart(d, data, '3.9.2')).toBeNull();
  });

  it('is read from the metadata.version on disk when the lab has no record of the formatting Kafka', () => {
    const d = dir();
    const data = path.join(d, 'data');
    fs.mkdirSync(path.join(data, '__cluster_metadata-0'), { recursive: true });
    expect(metadataLevelOnDisk(data)).toBeNull();
    fs.writeFileSync(path.join(data, '__cluster_metadata-0', '00000000000000000000-0000000000.checkpoint'), Buffer.from(BOOTSTRAP_CHECKPOINT_44_HEX, 'hex'));
    expect(metadataLevelOnDisk(data)).toBe(33);
    expect(newerDataBeforeStart(d, data, '3.9.2')).toBe(
      `the data in ${data} was written by a newer Kafka (4.4); start with KAFKA_VERSION=4.4.0 or reset the cluster`,
    );
    expect(newerDataBeforeStart(d, data, '4.1.1')).toMatch(/newer Kafka \(4\.4\)/);
    expect(newerDataBeforeStart(d, data, '4.4.0')).toBeNull();
    expect(newerDataBeforeStart(d, data, '4.5.0')).toBeNull();
  });

  it('is named when Kafka 3.9 meets metadata records of a version it cannot read', () => {
    expect(newerDataFromLog(NEWER_RECORDS_LOG_39, '/n/100/data')).toBe(
      'the data in /n/100/data was written by a newer Kafka; start with the KAFKA_VERSION that wrote it or reset the cluster',
    );
  });
});
