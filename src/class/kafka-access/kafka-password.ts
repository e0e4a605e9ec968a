import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Kafka passwords are never stored: each is derived from a key only this server holds and the stored
 * hash of its principal's token, so a new token means a new Kafka password, a restart or a cluster
 * reset can install every credential again, and a copy of the database alone signs nobody in.
 */
export const CLASS_KAFKA_KEY_FILE = 'class-kafka.key';
const KEY_BYTES = 32;

export class ServerKeyError extends Error {}

/** The server's key in `<dataDir>/class-kafka.key`: 32 random bytes, made once (mode 0600) and kept. */
export function loadOrCreateServerKey(dataDir: string): Buffer {
  const file = path.join(dataDir, CLASS_KAFKA_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': of two servers started on one data dir at once, one makes the key and the other reads it.
    fs.writeFileSync(file, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const key = fs.readFileSync(file);
  if (key.length !== KEY_BYTES) {
    throw new ServerKeyError(`${file} must hold the ${KEY_BYTES} bytes this server made, but it has ${key.length}; delete it to make a new key (every student's Kafka password changes).`);
  }
  return key;
}

/** base64url(HMAC-SHA256(serverKey, "kafka:" + tokenHash)): 43 characters, safe in a shell line and a properties file. */
export function kafkaPassword(serverKey: Buffer, tokenHash: string): string {
  return createHmac('sha256', serverKey).update(`kafka:${tokenHash}`, 'utf8').digest('base64url');
}
