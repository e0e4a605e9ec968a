/**
 * Settles with `p`, or rejects with "no answer within N ms" once `ms` pass (after running `onTimeout`,
 * e.g. to kill what hangs). For calls whose own timeout cannot be trusted to fire.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, onTimeout?: () => Promise<unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const fail = () => reject(new Error(`no answer within ${ms} ms`));
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
