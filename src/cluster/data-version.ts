import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNewerRelease, parseKafkaVersion, releaseOfMetadataLevel } from './distribution/kafka-version';

/**
 * Which Kafka wrote a node's data. A data dir formatted by a newer Kafka holds a metadata.version an
 * older one does not know, and the older one dies with a Java stack trace; the lab says so first.
 * Meta.properties names no release, so the lab records the one that formatted each node next to its
 * data, and reads Kafka's own complaint from the log for data formatted before it did.
 */

/** The file in a node's folder (beside its data) that names the release that formatted it. */
const MARKER = 'formatted-by';

export function formattedBy(nodeDir: string): string | null {
  try {
    const v = fs.readFileSync(path.join(nodeDir, MARKER), 'utf8').trim();
    return parseKafkaVersion(v) ? v : null;
  } catch {
    return null;
  }
}

export function recordFormattedBy(nodeDir: string, version: string): void {
  fs.writeFileSync(path.join(nodeDir, MARKER), `${version}\n`);
}

const releaseOf = (version: string) => version.split('.').slice(0, 2).join('.');

export function newerDataReason(dataDir: string, release: string, startWith: string): string {
  return `the data in ${dataDir} was written by a newer Kafka (${release}); start with KAFKA_VERSION=${startWith} or reset the cluster`;
}

/** The node's reason when its data was formatted by a later release than `running`, else null. */
export function newerDataBeforeStart(nodeDir: string, dataDir: string, running: string): string | null {
  const written = formattedBy(nodeDir);
  return written && isNewerRelease(written, running) ? newerDataReason(dataDir, releaseOf(written), written) : null;
}

/**
 * Kafka's own line when it cannot read a metadata.version from its data ("No MetadataVersion with
 * feature level 33"), as the same sentence: the level names the release that wrote it.
 */
export function newerDataFromLog(logText: string, dataDir: string): string | null {
  const m = /No MetadataVersion with feature level (\d+)/.exec(logText);
  if (!m) return null;
  const release = releaseOfMetadataLevel(Number(m[1]));
  const startWith = /^\d+\.\d+$/.test(release) ? `${release}.0` : 'the version that wrote it';
  return newerDataReason(dataDir, release, startWith);
}
