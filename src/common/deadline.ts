import { LabError } from './lab-error';

/**
 * Settles with `p`, or rejects with a TIMEOUT LabError (503, retriable) once `ms` pass (after running
 * `onTimeout`, e.g. to kill what hangs). For calls whose own timeout cannot be trusted to fire; the
 * rejection is a coded error, so one that reaches an answer is a 503 with a sentence, not a 500.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, onTimeout?: () => Promise<unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const fail = () => reject(new LabError('TIMEOUT', `No answer within ${ms} ms; Kafka may be busy or a broker paused. Try again.`));
      if (onTimeout) void onTimeout().finally(fail);
      else fail();
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** withDeadline with a point in time (ms since epoch) instead of a duration. */
export function byDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  return withDeadline(p, Math.max(1, deadline - Date.now()));
}

/** Resolves once every promise settled, or after `ms`, whichever is first. */
export async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
  ]);
  if (timer) clearTimeout(timer);
}
