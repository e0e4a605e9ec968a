import { api, waitFor } from './lab';

export interface Ev {
  seq: number;
  type: string;
  [k: string]: any;
}

/** The newest event seq now, so a test can look only at what happens after it. */
export async function eventMark(): Promise<number> {
  let after = 0;
  for (;;) {
    const r = await api().get(`/api/events?after=${after}&limit=5000`).expect(200);
    if (r.body.events.length === 0) return after;
    after = r.body.next;
  }
}

export async function eventsSince(mark: number, types?: string[]): Promise<Ev[]> {
  const out: Ev[] = [];
  let after = mark;
  for (;;) {
    const q = `/api/events?after=${after}&limit=5000${types ? `&types=${types.join(',')}` : ''}`;
    const r = await api().get(q).expect(200);
    out.push(...r.body.events);
    if (r.body.events.length === 0) return out;
    after = r.body.next;
  }
}

/** Waits for events after `mark` that satisfy `pred` (given all of them so far). */
export async function waitForEvents(what: string, mark: number, pred: (evs: Ev[]) => boolean, timeoutMs = 30_000, types?: string[]): Promise<Ev[]> {
  try {
    return await waitFor(what, async () => {
      const evs = await eventsSince(mark, types);
      return pred(evs) ? evs : undefined;
    }, timeoutMs, 200);
  } catch (e) {
    // Say what did arrive: a timeline that lacks one event is far easier to read than a timeout.
    const seen = (await eventsSince(mark, types)).map(({ seq, time, actor, ...rest }) => JSON.stringify(rest));
    throw new Error(`${(e as Error).message}; events after seq ${mark}:\n${seen.join('\n') || '(none)'}`);
  }
}
