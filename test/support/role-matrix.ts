import type { Response } from 'supertest';
import { api } from './lab';
import { checkResponse, deref, OpenApiDoc, OperationRef } from './openapi-doc';

/**
 * The machinery of the role × route matrix (test/e2e/role-matrix.e2e.ts holds the table): who calls
 * (the columns), what each cell expects, and one cell's calls made from the operation's own method and
 * path template in openapi.yaml, with the answer checked against the file as well.
 */

/**
 * anon: no token. unknown: a token nobody has. own: a student on their own things. other: the same
 * student on another student's things, named both as that student knows them and by their cluster
 * name. shared: the student on the instructor's (shared) topic, or their own consumer or group of it.
 * instructor: the instructor on a student's things (by cluster name). brokersAllowed: the student
 * while studentsMayControlBrokers is on (the lifecycle routes only).
 */
export const COLUMNS = ['anon', 'unknown', 'own', 'other', 'shared', 'instructor', 'brokersAllowed'] as const;
/** Plus revoked: a removed student's token, and one replaced by a re-issue; every cell as for an unknown token. */
export type Column = (typeof COLUMNS)[number] | 'revoked';

/** Any answer but 401, 403, 404 or a 5xx: the call got past authorization (used where doing it would harm the shared cluster). */
export const AUTHORIZED = 'authorized' as const;
/** The route names nothing of that kind (e.g. "another student's" GET /api/cluster), or the column is for other routes. */
export const NA = '-' as const;

export type Expected = number | typeof AUTHORIZED;
export interface Pending {
  pending: string;
  expected: Expected;
}
export type Cell = Expected | typeof NA | Pending;

/** A cell whose behaviour is not on main yet: skipped, and listed when the file runs. */
export const pending = (expected: Expected, why: string): Pending => ({ pending: why, expected });
export const isPending = (c: Cell): c is Pending => typeof c === 'object';

/** What a call is about; the path parameters are filled from it. */
export interface Target {
  token: string | null;
  topic: string;
  consumer: string;
  group: string;
  student: string;
  node: number;
  /** A lab's id (GET /api/labs/{id}). */
  lab: string;
  /** Parts the fixture could not make, with why: a call that needs one is a problem saying so. */
  gaps?: Partial<Record<'consumer' | 'group', string>>;
}

export interface Row {
  cells: Record<Column, Cell>;
  /** Appended to the path, e.g. "wait=maybe" (a 400 that proves authorization without doing anything). */
  query?: string;
  body?: (t: Target) => unknown;
  /** A thing of its own for a cell that uses it up (delete, re-issue): replaces parts of the target; SKIP leaves this target out. */
  fresh?: (column: Column, t: Target) => Promise<Partial<Target> | typeof SKIP>;
  /** What a 2xx body must (not) show this column, e.g. a list without the other student's things; a line per problem. */
  sees?: (column: Column, body: any) => string[];
}

export const SKIP = 'skip' as const;

/** One row per operation, in the table's column order. */
export function row(cells: [Cell, Cell, Cell, Cell, Cell, Cell, Cell], more: Omit<Row, 'cells'> = {}): Row {
  const byColumn = Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i]])) as Record<Column, Cell>;
  return { cells: { ...byColumn, revoked: byColumn.unknown }, ...more };
}

/** Which part of a Target fills which path parameter: by the component the parameter refers to, else by its name. */
const PARAM_BY_REF: Record<string, keyof Target> = {
  '#/components/parameters/TopicName': 'topic',
  '#/components/parameters/ConsumerId': 'consumer',
  '#/components/parameters/NodeId': 'node',
  '#/components/parameters/StudentId': 'student',
  '#/components/parameters/LabId': 'lab',
};
const PARAM_BY_NAME: Record<string, keyof Target> = { groupId: 'group', studentId: 'student' };

function pathFor(doc: OpenApiDoc, o: OperationRef, t: Target): string {
  const declared: any[] = [...(o.pathItem.parameters ?? []), ...(o.op.parameters ?? [])];
  return o.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const p = declared.find((d) => deref(doc, d).in === 'path' && deref(doc, d).name === name);
    const key: keyof Target | undefined = (p?.$ref ? PARAM_BY_REF[String(p.$ref)] : undefined) ?? PARAM_BY_NAME[name];
    if (!key) throw new Error(`${o.method.toUpperCase()} ${o.path}: the matrix does not know what to put in {${name}}; add it to PARAM_BY_REF or PARAM_BY_NAME`);
    const gap = t.gaps?.[key as 'consumer' | 'group'];
    if (gap) throw new Error(`the fixture has no ${key} for this call: ${gap}`);
    return encodeURIComponent(String(t[key]));
  });
}

function fits(expected: Expected, status: number): boolean {
  if (expected === AUTHORIZED) return status < 500 && ![401, 403, 404].includes(status);
  return status === expected;
}

/** One call of an operation about `t`, as the row builds it. Throws when the path cannot be filled. */
async function send(doc: OpenApiDoc, o: OperationRef, r: Row, t: Target): Promise<{ url: string; res: Response }> {
  const url = pathFor(doc, o, t) + (r.query ? `?${r.query}` : '');
  const client = api(t.token) as unknown as Record<string, (p: string) => import('supertest').Test>;
  if (!client[o.method]) throw new Error(`the matrix's client does not send ${o.method.toUpperCase()}`);
  let req = client[o.method](url);
  const body = r.body?.(t);
  if (body !== undefined) req = req.send(body as object);
  return { url, res: await req };
}

/** A target whose topic, consumer, group and student nobody has; names in a student's namespace stay in it (the same form). */
export function ghostOf(t: Target): Target {
  const tag = Date.now().toString(36);
  const prefix = (name: string) => /^s-[a-z0-9]{6}\./.exec(name)?.[0] ?? '';
  return { ...t, topic: `${prefix(t.topic)}mx-ghost-${tag}`, consumer: `ghost${tag}`, group: `${prefix(t.group)}mx-ghost-group-${tag}`, student: tag.slice(-6).padStart(6, '0'), lab: `lab-${tag}` };
}

/** A sentence with the names of what it is about made alike, to compare two refusals. */
export function withoutNames(message: string, t: Target): string {
  for (const name of [t.topic, t.consumer, t.group, t.student].filter(Boolean).sort((a, b) => b.length - a.length)) message = message.split(name).join('<name>');
  return message;
}

/** An error body as withoutNames makes its sentence. */
function refusal(body: any, t: Target): string {
  const message = withoutNames(String(body?.message ?? ''), t);
  return JSON.stringify({ statusCode: body?.statusCode, error: body?.error, message, retriable: body?.retriable, details: body?.details });
}

/**
 * Makes one cell's calls (one per target: "other" names the other student's things two ways) and
 * returns what went wrong, one line each: a status the cell does not expect, a status openapi.yaml
 * does not document for the operation or a body that does not fit its schema (with `contract`: not
 * for operations the file marks x-implemented: false), what `sees` finds wrong in the body, or (for
 * "other") a 404 that differs from the one for a thing nobody has: it must not confirm that it exists.
 */
export async function runCell(doc: OpenApiDoc, o: OperationRef, r: Row, column: Column, targets: Target[], opts: { contract: boolean }): Promise<string[]> {
  const cell = r.cells[column];
  if (cell === NA || isPending(cell)) return [];
  const problems: string[] = [];
  for (const base of targets) {
    const made = r.fresh ? await r.fresh(column, base) : {};
    if (made === SKIP) continue;
    const t = { ...base, ...made };
    let sent: { url: string; res: Response };
    try {
      sent = await send(doc, o, r, t);
    } catch (e) {
      problems.push(`${column}: ${(e as Error).message}`);
      continue;
    }
    const { url, res } = sent;
    const what = `${column}: ${o.method.toUpperCase()} ${url}`;
    if (!fits(cell, res.status)) {
      problems.push(`${what} answered ${res.status}, the table says ${cell}: ${res.text.slice(0, 300)}`);
      continue;
    }
    const ct = String(res.headers['content-type'] ?? '');
    const bodyOf = ct.startsWith('application/json') ? res.body : res.text;
    if (opts.contract) {
      // An answer without a body (204) has nothing to fit: its status must only be documented.
      const contract = ct ? checkResponse(doc, o.method, o.path, { status: res.status, body: bodyOf, headers: res.headers })
        : o.op.responses?.[String(res.status)] ? [] : [`${res.status} is not documented for the operation`];
      problems.push(...contract.map((p) => `${what}: ${p}`));
    }
    if (r.sees && res.status < 300) for (const p of r.sees(column, bodyOf)) problems.push(`${what}: ${p}`);
    if (column === 'other' && res.status === 404) {
      const ghost = ghostOf(t);
      const none = (await send(doc, o, r, ghost)).res;
      if (refusal(res.body, t) !== refusal(none.body, ghost)) {
        problems.push(`${what}: the 404 tells the other student's thing from one nobody has: ${JSON.stringify(res.body.message)} vs ${JSON.stringify(none.body?.message)} (${none.status})`);
      }
    }
  }
  return problems;
}
