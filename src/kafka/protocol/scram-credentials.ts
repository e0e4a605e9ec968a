import { pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { KAFKA_ERRORS, KafkaCodeError } from '../kafka-error-codes';
import { API_KEYS, BrokerAddress, firstAnswering, request } from './kafka-connection';
import { Reader, Writer } from './wire';

/**
 * SCRAM users on the cluster (KIP-554): AlterUserScramCredentials (key 51) and
 * DescribeUserScramCredentials (key 50), both v0 and flexible, sent to any broker (under KRaft it
 * forwards the change to the active controller). kafkajs speaks neither. The client salts the password
 * itself and sends only the salted password (RFC 5802's Hi, which is PBKDF2 with the hash's length);
 * the controller derives the stored and server keys from it, so the password never crosses the wire.
 */
export const ALTER_SCRAM_VERSION = 0;
export const DESCRIBE_SCRAM_VERSION = 0;

/** Kafka's ScramMechanism codes. */
export const SCRAM_MECHANISMS = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 } as const;
export type ScramMechanismName = keyof typeof SCRAM_MECHANISMS;
const HASH_OF: Record<ScramMechanismName, { hash: string; bytes: number }> = {
  'SCRAM-SHA-256': { hash: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { hash: 'sha512', bytes: 64 },
};
/** Kafka refuses fewer iterations (UNACCEPTABLE_CREDENTIAL). */
export const SCRAM_MIN_ITERATIONS = 4096;

export interface ScramUpsertion {
  user: string;
  mechanism: ScramMechanismName;
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

export interface ScramDeletion {
  user: string;
  mechanism: ScramMechanismName;
}

/** One user's outcome of an alteration: errorCode 0 when done. */
export interface ScramAlterResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

/** A user's SCRAM credentials as Kafka describes them (never a secret). */
export interface ScramUserInfo {
  user: string;
  errorCode: number;
  errorMessage: string | null;
  credentials: Array<{ mechanism: ScramMechanismName | number; iterations: number }>;
}

/** RFC 5802 Hi(password, salt, i): what AlterUserScramCredentials carries instead of the password. */
export function saltPassword(password: string, salt: Buffer, iterations: number, mechanism: ScramMechanismName): Buffer {
  const { hash, bytes } = HASH_OF[mechanism];
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, bytes, hash);
}

/**
 * An upsertion for `user` with a fresh random salt. The 4096 rounds run on libuv's thread pool (a
 * reconcile of a whole class would otherwise hold the event loop for a second).
 */
export function scramUpsertion(user: string, password: string, mechanism: ScramMechanismName, iterations = SCRAM_MIN_ITERATIONS): Promise<ScramUpsertion> {
  const salt = randomBytes(32);
  const { hash, bytes } = HASH_OF[mechanism];
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, bytes, hash, (err, saltedPassword) => {
      if (err) reject(err);
      else resolve({ user, mechanism, iterations, salt, saltedPassword });
    });
  });
}

function mechanismName(code: number): ScramMechanismName | number {
  const hit = (Object.keys(SCRAM_MECHANISMS) as ScramMechanismName[]).find((m) => SCRAM_MECHANISMS[m] === code);
  return hit ?? code;
}

// ---- AlterUserScramCredentials ------------------------------------------------------------------

export function encodeAlterScramRequest(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): Buffer {
  const w = new Writer(128);
  w.compactArray(deletions, (dw, d) => {
    dw.compactString(d.user).int8(SCRAM_MECHANISMS[d.mechanism]).emptyTaggedFields();
  });
  w.compactArray(upsertions, (uw, u) => {
    uw.compactString(u.user).int8(SCRAM_MECHANISMS[u.mechanism]).int32(u.iterations);
    // COMPACT_BYTES: unsigned varint of length + 1, then the bytes.
    uw.unsignedVarint(u.salt.length + 1).raw(u.salt);
    uw.unsignedVarint(u.saltedPassword.length + 1).raw(u.saltedPassword);
    uw.emptyTaggedFields();
  });
  return w.emptyTaggedFields().toBuffer();
}

export function decodeAlterScramResponse(r: Reader): ScramAlterResult[] {
  r.int32(); // throttle_time_ms
  const results = r.compactArray((x) => {
    const user = x.compactString();
    const errorCode = x.int16();
    const errorMessage = x.compactNullableString();
    x.skipTaggedFields();
    return { user, errorCode, errorMessage };
  });
  r.skipTaggedFields();
  return results;
}

/**
 * Deletes and upserts in one request, sent to the first broker that answers. Each user's outcome is
 * reported, not thrown (a deletion of a user Kafka does not know answers RESOURCE_NOT_FOUND). A user
 * may appear once per request: Kafka answers DUPLICATE_RESOURCE otherwise.
 */
export function alterScramCredentials(
  bootstrap: readonly BrokerAddress[],
  change: { deletions?: readonly ScramDeletion[]; upsertions?: readonly ScramUpsertion[] },
  opts: { timeoutMs: number; clientId?: string; staggerMs?: number },
): Promise<ScramAlterResult[]> {
  const body = encodeAlterScramRequest(change.deletions ?? [], change.upsertions ?? []);
  return firstAnswering(
    bootstrap,
    (b, timeoutMs, signal) =>
      request(b, API_KEYS.alterUserScramCredentials, ALTER_SCRAM_VERSION, body, { flexible: true, timeoutMs, clientId: opts.clientId, signal }, decodeAlterScramResponse),
    opts,
  );
}

// ---- DescribeUserScramCredentials ---------------------------------------------------------------

/** `users` null: every user that has a credential. */
export function encodeDescribeScramRequest(users: readonly string[] | null): Buffer {
  return new Writer(64)
    .compactNullableArray(users, (w, u) => {
      w.compactString(u).emptyTaggedFields();
    })
    .emptyTaggedFields()
    .toBuffer();
}

/** The users described; a request-level error throws a KafkaCodeError. */
export function decodeDescribeScramResponse(r: Reader): ScramUserInfo[] {
  r.int32(); // throttle_time_ms
  const errorCode = r.int16();
  const errorMessage = r.compactNullableString();
  const results = r.compactArray((x) => {
    const user = x.compactString();
    const code = x.int16();
    const message = x.compactNullableString();
    const credentials = x.compactArray((c) => {
      const mechanism = mechanismName(c.int8());
      const iterations = c.int32();
      c.skipTaggedFields();
      return { mechanism, iterations };
    });
    x.skipTaggedFields();
    return { user, errorCode: code, errorMessage: message, credentials };
  });
  r.skipTaggedFields();
  if (errorCode !== KAFKA_ERRORS.NONE) throw new KafkaCodeError(errorCode, errorMessage ?? undefined);
  return results;
}

export function describeScramCredentials(
  bootstrap: readonly BrokerAddress[],
  users: readonly string[] | null,
  opts: { timeoutMs: number; clientId?: string; staggerMs?: number },
): Promise<ScramUserInfo[]> {
  const body = encodeDescribeScramRequest(users);
  return firstAnswering(
    bootstrap,
    (b, timeoutMs, signal) =>
      request(b, API_KEYS.describeUserScramCredentials, DESCRIBE_SCRAM_VERSION, body, { flexible: true, timeoutMs, clientId: opts.clientId, signal }, decodeDescribeScramResponse),
    opts,
  );
}
