import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';

/** What global-setup.ts wrote about the ONE lab server (and its real cluster) shared by every e2e file. */
export interface SharedLab {
  url: string;
  token: string;
  bootstrap: string[];
  dataDir: string;
  portBase: number;
  pid: number;
  consumerSessionTimeoutMs: number;
}

/**
 * One file per jest run (global setup puts its path in the environment, which the test files inherit),
 * so two runs on one machine never read each other's server.
 */
export const STATE_FILE = process.env.KAFKA_LAB_SHARED_STATE ?? path.resolve(__dirname, `../../.test-data/shared-lab-${process.pid}.json`);

export function sharedLab(): SharedLab {
  return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as SharedLab;
}

/** supertest against the shared server (or the server at `url`), with the instructor token unless told otherwise. */
export function api(token: string | null = sharedLab().token, url: string = sharedLab().url) {
  const base = request(url);
  const auth = (t: request.Test) => (token ? t.set('Authorization', `Bearer ${token}`) : t);
  return {
    get: (p: string) => auth(base.get(p)),
    post: (p: string) => auth(base.post(p)),
    patch: (p: string) => auth(base.patch(p)),
    delete: (p: string) => auth(base.delete(p)),
  };
}

let counter = 0;
/** A name no other test (or earlier run on the same cluster) uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Polls `probe` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
