import { createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * How students are named to the server: an id the server makes (6 of [a-z0-9], the shape
 * STUDENT_ID_PATTERN and the cluster prefix rely on) and a bearer token of 24 random bytes. Only the
 * token's sha256 is ever stored, so a copy of the database signs nobody in.
 */
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const STUDENT_ID_LENGTH = 6;

/** Six-letter words the timeline uses as actors: a student with one of these ids would be mistaken for it. */
const NOT_IDS = new Set(['system']);

export function newStudentId(): string {
  for (;;) {
    let id = '';
    for (let i = 0; i < STUDENT_ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
    if (!NOT_IDS.has(id)) return id;
  }
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** What is stored and looked up instead of the token itself. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
