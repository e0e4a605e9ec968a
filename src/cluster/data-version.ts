import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNewerRelease, newestMetadataLevel, parseKafkaVersion, releaseOfMetadataLevel } from './distribution/kafka-version';

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

export function newerDataReason(dataDir: string, release: string | null, startWith: string): string {
  const by = release ? `a newer Kafka (${release})` : 'a newer Kafka';
  const how = /^\d/.test(startWith) ? `KAFKA_VERSION=${startWith}` : startWith;
  return `the data in ${dataDir} was written by ${by}; start with ${how} or reset the cluster`;
}

/**
 * The node's reason when its data holds a metadata.version `running` cannot read, else null. The level
 * on disk decides where there is one: a broker a newer Kafka formatted into an older cluster holds
 * only the cluster's (readable) level. The lab's record of the formatting release covers the rest.
 */
export function newerDataBeforeStart(nodeDir: string, dataDir: string, running: string): string | null {
  const level = metadataLevelOnDisk(dataDir);
  if (level !== null) {
    if (level <= newestMetadataLevel(running)) return null;
    const release = releaseOfMetadataLevel(level);
    return newerDataReason(dataDir, release, startWithFor(release));
  }
  const written = formattedBy(nodeDir);
  return written && isNewerRelease(written, running) ? newerDataReason(dataDir, releaseOf(written), written) : null;
}

const startWithFor = (release: string) => (/^\d+\.\d+$/.test(release) ? `${release}.0` : 'the KAFKA_VERSION that wrote it');

/** The files of the metadata log that hold metadata.version records near their start (small ones first). */
const METADATA_LOG = '__cluster_metadata-0';
const SCAN_BYTES = 1024 * 1024;
const MV_NAME = Buffer.from('metadata.version');

/**
 * The highest metadata.version feature level recorded in a node's metadata log (its bootstrap
 * checkpoint, snapshots, first segment), or null. A FeatureLevelRecord is the name as a compact string
 * followed by the level as an int16; the metadata log is not compressed.
 */
export function metadataLevelOnDisk(dataDir: string): number | null {
  const dir = path.join(dataDir, METADATA_LOG);
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.checkpoint') || f === '00000000000000000000.log').map((f) => path.join(dir, f));
  } catch {
    return null;
  }
  files.push(path.join(dataDir, 'bootstrap.checkpoint'));
  let best: number | null = null;
  for (const f of files) {
    let bytes: Buffer;
    try {
      const fd = fs.openSync(f, 'r');
      try {
        bytes = Buffer.alloc(Math.min(SCAN_BYTES, fs.fstatSync(fd).size));
        fs.readSync(fd, bytes, 0, bytes.length, 0);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      continue;
    }
    for (let i = bytes.indexOf(MV_NAME); i >= 1; i = bytes.indexOf(MV_NAME, i + 1)) {
      // The compact string's length byte (16 + 1) before the name, the int16 level right after it.
      if (bytes[i - 1] !== MV_NAME.length + 1 || i + MV_NAME.length + 2 > bytes.length) continue;
      const level = bytes.readInt16BE(i + MV_NAME.length);
      if (best === null || level > best) best = level;
    }
  }
  return best;
}

/**
 * Kafka's own lines when it cannot read its data, as the same sentence: "No MetadataVersion with
 * feature level 33" (the level names the release that wrote it), or a metadata record of a version it
 * does not know ("MetadataParseException ... Can't read version 4 of BrokerEndpoint").
 */
export function newerDataFromLog(logText: string, dataDir: string): string | null {
  const m = /No MetadataVersion with feature level (\d+)/.exec(logText);
  // A newer Kafka that ran on the data wrote records this one cannot parse (no level named then).
  if (!m) return /MetadataParseException[\s\S]*?Can't read version \d+ of \w+/.test(logText) ? newerDataReason(dataDir, null, startWithFor('')) : null;
  const release = releaseOfMetadataLevel(Number(m[1]));
  return newerDataReason(dataDir, release, startWithFor(release));
}
