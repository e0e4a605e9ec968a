// The guided labs (src/labs/labs.catalogue.ts) against what they point at: every checkpoint is a real
// one earned in its own lab, every API line is an operation of openapi.yaml with a body that fits it,
// and every klab line is a command klab really has, with flags it really takes.
import { CHECKPOINTS, isCheckpointId } from '../../src/grading/checkpoints';
import { LABS } from '../../src/labs/labs.catalogue';
import { checkpointsOf } from '../../src/labs/labs.service';
import { deref, loadOpenApi, operations } from '../support/openapi-doc';
import { checkSchema } from '../support/schema-check';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { parseArgs, consumeMode } = require('../../clients/cli/lib/args');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { USAGE } = require('../../clients/cli/klab');

const doc = loadOpenApi();
const ops = operations(doc);
const everyStep = LABS.flatMap((lab) => lab.steps.map((s, i) => ({ lab: lab.id, n: i + 1, ...s })));

/** The commands klab's usage shows: per command, the literal actions it takes, and whether it also runs without one. */
function klabForms(usage: string): Map<string, { actions: Set<string>; bare: boolean }> {
  const forms = new Map<string, { actions: Set<string>; bare: boolean }>();
  for (const m of usage.matchAll(/klab ([a-z]+)(?: ([a-z]+(?:\|[a-z]+)*)(?![a-z<=-]))?/g)) {
    const f = forms.get(m[1]) ?? { actions: new Set<string>(), bare: false };
    if (m[2]) m[2].split('|').forEach((a) => f.actions.add(a));
    else f.bare = true;
    forms.set(m[1], f);
  }
  return forms;
}

/** The operation whose path template fits `path`: a `{...}` of the template takes any one segment. */
function operationFor(method: string, path: string) {
  const segs = path.split('/');
  return ops.find((o) => {
    const t = o.path.split('/');
    return o.method === method.toLowerCase() && t.length === segs.length && t.every((s, i) => s.startsWith('{') || s === segs[i]);
  });
}

describe('the labs catalogue', () => {
  it('has Labs A to G in order; F and G need Kafka 4, the others run on 3.9 too', () => {
    expect(LABS.map((l) => [l.id, l.kafka])).toEqual([['A', '3.9+'], ['B', '3.9+'], ['C', '3.9+'], ['D', '3.9+'], ['E', '3.9+'], ['F', '4.x'], ['G', '4.x']]);
    for (const lab of LABS) {
      expect([lab.title.length > 0, lab.summary.length > 0, lab.steps.length >= 3]).toEqual([true, true, true]);
    }
  });

  it('says in every step what to do and what to watch, with at least one API line and one klab line', () => {
    const thin = everyStep.filter((s) => !s.text || !s.watch || s.api.length === 0 || s.cli.length === 0).map((s) => `${s.lab}${s.n}`);
    expect(thin).toEqual([]);
  });

  it('earns each of the 8 checkpoints at exactly one step, in the lab CHECKPOINTS names', () => {
    const named = everyStep.filter((s) => s.checkpoint !== null);
    expect(named.filter((s) => !isCheckpointId(s.checkpoint!))).toEqual([]);
    expect(named.map((s) => `${s.checkpoint} ${s.lab}`).sort()).toEqual(CHECKPOINTS.map((c) => `${c.id} ${c.lab}`).sort());
    // In the labs' order, the checkpoints come in CHECKPOINTS order (the columns of the CSV).
    expect(LABS.flatMap(checkpointsOf)).toEqual(CHECKPOINTS.map((c) => c.id));
  });

  it('writes every API line as an operation of openapi.yaml, with known query parameters and a body that fits', () => {
    const problems: string[] = [];
    for (const s of everyStep) {
      for (const line of s.api) {
        const where = `Lab ${s.lab} step ${s.n}: ${line}`;
        const m = /^(GET|POST|PATCH|DELETE) (\/api\/[^ ?]*)(?:\?([^ ]*))?(?: (.+))?$/.exec(line);
        if (!m) {
          problems.push(`${where}: not "METHOD /api/path {json}"`);
          continue;
        }
        const [, method, path, query, body] = m;
        const o = operationFor(method, path);
        if (!o) {
          problems.push(`${where}: openapi.yaml has no such operation`);
          continue;
        }
        const params = [...(o.pathItem.parameters ?? []), ...(o.op.parameters ?? [])].map((p) => deref(doc, p)).filter((p) => p.in === 'query');
        for (const pair of query ? query.split('&') : []) {
          const [name, value] = pair.split('=');
          const p = params.find((q) => q.name === name);
          if (!p) problems.push(`${where}: ${o.op.operationId} takes no query parameter ${name}`);
          else if (p.schema?.enum && !p.schema.enum.includes(value)) problems.push(`${where}: ${name} takes ${p.schema.enum.join(', ')}`);
        }
        const schema = o.op.requestBody?.content?.['application/json']?.schema;
        if (body === undefined) {
          if (o.op.requestBody?.required) problems.push(`${where}: ${o.op.operationId} needs a body`);
          continue;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          problems.push(`${where}: the body is not JSON`);
          continue;
        }
        if (!schema) problems.push(`${where}: ${o.op.operationId} takes no JSON body`);
        else problems.push(...checkSchema(parsed, schema, { root: doc }).map((p) => `${where}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
  });

  it('writes every klab line as a command klab has, with options it takes', () => {
    const forms = klabForms(USAGE);
    expect([...forms.keys()]).toEqual(expect.arrayContaining(['topic', 'consume', 'produce', 'node', 'consumer', 'ack', 'group', 'events']));
    const problems: string[] = [];
    for (const s of everyStep) {
      for (const line of s.cli) {
        const where = `Lab ${s.lab} step ${s.n}: ${line}`;
        const [head, ...argv] = line.split(' ');
        if (head !== 'klab') {
          problems.push(`${where}: not a klab line`);
          continue;
        }
        try {
          const { words, opts } = parseArgs(argv);
          const [command, action] = words;
          const form = forms.get(command);
          if (!form) problems.push(`${where}: klab has no command ${command}`);
          else if (!form.bare && !form.actions.has(action)) problems.push(`${where}: klab ${command} takes ${[...form.actions].join('|')}, not ${action}`);
          if (command === 'consume') consumeMode(opts);
        } catch (e) {
          problems.push(`${where}: ${(e as Error).message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('catches a klab line that klab does not take (the check above is not blind)', () => {
    const forms = klabForms(USAGE);
    expect(forms.get('topic')?.actions.has('create')).toBe(true);
    expect(forms.get('topic')?.bare).toBe(false);
    expect(forms.get('topics')?.bare).toBe(true);
    expect(() => parseArgs(['topic', 'create', 't', '--partitions-count', '4'])).toThrow('unknown option --partitions-count');
    expect(() => consumeMode({ protocol: 'kip848' })).toThrow();
  });
});
