/**
 * Which Apache Kafka releases the lab runs, and what differs between them: 3.9.x (log4j 1, no new
 * group protocols) and every 4.x (log4j2, KIP-848 consumer groups; KIP-932 share groups as the lab
 * uses them from 4.2: src/consumers/protocol-support.ts says why).
 */

export const DEFAULT_KAFKA_VERSION = '4.4.0';

export interface KafkaRelease {
  major: number;
  minor: number;
  patch: number;
}

/** "4.4.0" → {4, 4, 0}; anything that is not three dot-separated numbers → null. */
export function parseKafkaVersion(text: string): KafkaRelease | null {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : null;
}

/**
 * Why the lab cannot run this version, as a sentence naming `variable`, or null when it can. 3.9 is the
 * oldest (KRaft with static voters and the features the labs use); 4.x is any 4 release. Whether the
 * release exists is known only when it is fetched.
 */
export function versionProblem(text: string, variable = 'KAFKA_VERSION'): string | null {
  const v = parseKafkaVersion(text);
  if (!v) return `${variable} must be a Kafka release such as ${DEFAULT_KAFKA_VERSION} or 3.9.2, but it is "${text}".`;
  if (v.major < 3 || (v.major === 3 && v.minor < 9)) {
    return `${variable} is ${text}, but the lab needs Kafka 3.9 or newer (4.x, e.g. ${DEFAULT_KAFKA_VERSION}, or 3.9.x).`;
  }
  if (v.major > 4) return `${variable} is ${text}, but the lab knows Kafka 3.9.x and 4.x only (e.g. ${DEFAULT_KAFKA_VERSION}).`;
  return null;
}

/** Kafka 4 logs through log4j2 (configured with -Dlog4j2.configurationFile); 3.9 through log4j 1 (reload4j). */
export function usesLog4j2(version: string): boolean {
  return (parseKafkaVersion(version)?.major ?? 0) >= 4;
}

/**
 * True when `a` is a later feature release than `b` (major.minor): data written by `a` may use a
 * metadata.version `b` does not know. Patch releases of one minor share their metadata versions.
 */
export function isNewerRelease(a: string, b: string): boolean {
  const x = parseKafkaVersion(a);
  const y = parseKafkaVersion(b);
  if (!x || !y) return false;
  return x.major > y.major || (x.major === y.major && x.minor > y.minor);
}

/**
 * Feature levels the labs need, given to the storage format (`--feature name=level`). group.version=1
 * (KIP-848) is the default from 4.0 and said anyway; share groups are a preview in 4.1 that must be
 * switched on (share.version=1), on by default from 4.2; 4.0's early-access share groups speak an
 * older protocol and stay off. 3.9 gets nothing: its format stays as it was.
 */
export function formatFeatures(version: string): string[] {
  const v = parseKafkaVersion(version);
  if (!v || v.major < 4) return [];
  const features = ['group.version=1'];
  if (v.major === 4 && v.minor === 1) features.push('share.version=1');
  return features;
}

/** Consumer-protocol groups (KIP-848) need Kafka 4.0+. */
export function supportsConsumerProtocol(version: string): boolean {
  return (parseKafkaVersion(version)?.major ?? 0) >= 4;
}

/**
 * The release whose newest metadata.version has this feature level (what `kafka-storage version-mapping`
 * of 4.4 prints), for a data dir an older Kafka cannot read: Kafka names only the level.
 */
const METADATA_LEVELS: Array<[number, string]> = [
  [21, '3.9'],
  [25, '4.0'],
  [27, '4.1'],
  [29, '4.2'],
  [30, '4.3'],
  [33, '4.4'],
];

/** The newest metadata.version feature level `version` can read (a release newer than the table: any). */
export function newestMetadataLevel(version: string): number {
  const v = parseKafkaVersion(version);
  const hit = v && METADATA_LEVELS.find(([, release]) => release === `${v.major}.${v.minor}`);
  return hit ? hit[0] : Number.POSITIVE_INFINITY;
}

export function releaseOfMetadataLevel(level: number): string {
  const hit = METADATA_LEVELS.find(([max]) => level <= max);
  return hit ? hit[1] : `newer than ${METADATA_LEVELS[METADATA_LEVELS.length - 1][1]}`;
}
