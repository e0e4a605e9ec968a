/**
 * A student's display name: trimmed, 1..100 characters, unique in the class without regard to case
 * (so "ada" cannot sit beside "Ada" on the roster and in grades).
 */
export const MAX_NAME_LENGTH = 100;

/** The name as kept, or a sentence saying why it is not one. */
export function cleanName(raw: unknown): { name: string } | { problem: string } {
  if (typeof raw !== 'string') return { problem: 'name must be a string, e.g. "Ada Lovelace"' };
  const name = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (name.length === 0) return { problem: 'name must not be empty' };
  if ([...name].length > MAX_NAME_LENGTH) return { problem: `name must be at most ${MAX_NAME_LENGTH} characters` };
  // Control characters would break the roster's table, CSV grades and log lines.
  if (/\p{Cc}/u.test(name)) return { problem: 'name must not contain control characters' };
  return { name };
}

/** The key two names collide on. */
export function nameKey(name: string): string {
  return name.toLocaleLowerCase('und');
}

export function nameTakenSentence(name: string): string {
  return `A student named ${name} is already in the class.`;
}
