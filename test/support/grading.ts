import { CHECKPOINT_IDS, CheckpointId } from '../../src/grading/checkpoints';
import type { CheckpointResult, Evidence, GradingReport } from '../../src/grading/grading.types';
import { api, sharedLab, waitFor } from './lab';

export type { CheckpointResult, Evidence, GradingReport };
export { CHECKPOINT_IDS };
export type { CheckpointId };

/** An event as GET /api/events gives it. */
export interface ReadEvent {
  seq: number;
  type: string;
  time: string;
  [k: string]: any;
}

/** GET /api/grading/{studentId} with `token` (the instructor's unless told), expecting 200. */
export async function reportOf(studentId: string, token: string = sharedLab().token, url: string = sharedLab().url): Promise<GradingReport> {
  const r = await api(token, url).get(`/api/grading/${studentId}`);
  if (r.status !== 200) throw new Error(`GET /api/grading/${studentId} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body as GradingReport;
}

/** The ids a report shows passed, in CHECKPOINTS order. */
export const passedIds = (report: GradingReport): CheckpointId[] => report.checkpoints.filter((c) => c.passed).map((c) => c.id);

/**
 * Waits until `checkpoint` shows passed in the student's report (the timeline's events are folded as they
 * are stored, and messages.consumed about once a second, so a pass comes a second or two after the step).
 * Returns the report at that moment.
 */
export async function waitForPass(studentId: string, checkpoint: CheckpointId, token: string = sharedLab().token, timeoutMs = 30_000, url: string = sharedLab().url): Promise<GradingReport> {
  try {
    return await waitFor(`${checkpoint} to pass for ${studentId}`, async () => {
      const r = await reportOf(studentId, token, url);
      return r.checkpoints.find((c) => c.id === checkpoint)?.passed && r;
    }, timeoutMs, 250);
  } catch (e) {
    // What did pass, to tell "graded otherwise" from "not graded at all".
    const r = await reportOf(studentId, token, url).catch(() => null);
    throw new Error(`${(e as Error).message}; passed so far: ${r ? passedIds(r).join(', ') || '(none)' : '(no report)'}; the student's last events:\n${await timelineOf(studentId, token, url)}`);
  }
}

/**
 * The last events naming the student's things or the cluster's nodes, one short line each, as `token`
 * reads them: what a grading failure is judged against.
 */
async function timelineOf(studentId: string, token: string, url: string, last = 80): Promise<string> {
  const evs: ReadEvent[] = [];
  for (let after = 0; ;) {
    const r = await api(token, url).get(`/api/events?after=${after}&limit=5000`);
    if (r.status !== 200 || r.body.events.length === 0) break;
    evs.push(...r.body.events);
    after = r.body.next;
  }
  // Everything but what names another student's things (a student's token sees no others anyway).
  const others = new RegExp(`s-(?!${studentId}\\.)[a-z0-9]{6}\\.`);
  const mine = evs.filter((e) => !others.test(JSON.stringify(e)) && (e.studentId ?? studentId) === studentId);
  const short = ({ time, actor, type, seq, evidence, ...rest }: ReadEvent) => `${seq} ${type} ${actor} ${JSON.stringify(rest).replace(new RegExp(`s-${studentId}\\.`, 'g'), '')}`;
  return mine.slice(-last).map(short).join('\n');
}

/** The result for one checkpoint of a report. */
export function resultOf(report: GradingReport, checkpoint: CheckpointId): CheckpointResult {
  const c = report.checkpoints.find((x) => x.id === checkpoint);
  if (!c) throw new Error(`the report of ${report.student.id} has no ${checkpoint}`);
  return c;
}

/** Reads one event back the way a grader would: GET /api/events?after=<seq-1>&limit=1 as `token`. */
export async function eventAt(seq: number, token: string = sharedLab().token, url: string = sharedLab().url): Promise<ReadEvent | undefined> {
  const r = await api(token, url).get(`/api/events?after=${seq - 1}&limit=1`);
  if (r.status !== 200) throw new Error(`GET /api/events?after=${seq - 1}&limit=1 answered ${r.status}`);
  return (r.body.events as ReadEvent[])[0];
}

/**
 * Checks that a passed checkpoint's evidence points at real things, as `token` (the student whose report
 * it is, or the instructor) reads them: every event seq reads back as that very event, ascending, among
 * them one of each of `mustInclude`; the event that earned it (time = `at`) is among them; every
 * consumer an event names is among `consumers`; every message is in its consumer's messages at that
 * topic, partition and offset. Returns the events, for the caller's own checks.
 */
export async function checkEvidence(result: CheckpointResult, mustInclude: string[], token: string = sharedLab().token, url: string = sharedLab().url): Promise<ReadEvent[]> {
  expect(result.passed).toBe(true);
  const ev = result.evidence as Evidence;
  expect(ev).toEqual(expect.objectContaining({ summary: expect.any(String), events: expect.any(Array), consumers: expect.any(Array), messages: expect.any(Array) }));
  expect(ev.summary.length).toBeGreaterThan(0);
  expect(ev.events.length).toBeGreaterThan(0);
  expect(ev.events).toEqual([...ev.events].sort((a, b) => a - b));
  const events: ReadEvent[] = [];
  for (const seq of ev.events) {
    const e = await eventAt(seq, token, url);
    if (!e || e.seq !== seq) throw new Error(`${result.id}'s evidence names event ${seq}, but reading it back gave ${JSON.stringify(e)}`);
    events.push(e);
  }
  const types = new Set(events.map((e) => e.type));
  for (const t of mustInclude) if (!types.has(t)) throw new Error(`${result.id}'s evidence has no ${t} event: ${JSON.stringify(events)}`);
  expect(events.some((e) => e.time === result.at)).toBe(true);
  for (const e of events) if (typeof e.consumerId === 'string') expect(ev.consumers).toContain(e.consumerId);
  expect(ev.messages.length).toBeLessThanOrEqual(10);
  for (const m of ev.messages) {
    expect(ev.consumers).toContain(m.consumerId);
    const r = await api(token, url).get(`/api/consumers/${m.consumerId}/messages?after=0&limit=2000`);
    expect(r.status).toBe(200);
    const found = (r.body.messages as Array<{ topic: string; partition: number; offset: string }>).find((x) => x.topic === m.topic && x.partition === m.partition && x.offset === m.offset);
    if (!found) throw new Error(`${result.id}'s evidence says ${m.consumerId} received ${m.topic}/${m.partition}@${m.offset}, but its messages do not hold it`);
  }
  return events;
}

/** A not-passed result: nothing to show for it. */
export function expectNotPassed(report: GradingReport, ...checkpoints: CheckpointId[]): void {
  for (const id of checkpoints) expect(resultOf(report, id)).toEqual(expect.objectContaining({ id, passed: false, at: null, evidence: null }));
}
