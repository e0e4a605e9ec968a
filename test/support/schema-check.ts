/**
 * A small JSON-schema checker for the subset openapi.yaml uses (OpenAPI 3.0 and 3.1 flavours): enough
 * to tell whether a real response body matches the published contract, with a JSON path per problem.
 * Supported: $ref (local "#/..." pointers), type (one or a list, "integer", "null"), nullable (3.0),
 * enum, const, required, properties, additionalProperties (false / true / a schema), items,
 * minItems/maxItems, minimum/maximum, minLength/maxLength, pattern, format date-time (loosely),
 * allOf, oneOf (exactly one), anyOf, not. Unknown keywords are ignored, as JSON Schema does.
 */

export type Schema = Record<string, any> | boolean;

export interface CheckOptions {
  /** The document `$ref`s point into (the parsed openapi.yaml). */
  root?: unknown;
}

const MAX_REF_DEPTH = 64;

/** Every way `value` differs from `schema`, as `"$.path: problem"` lines; empty when it matches. */
export function checkSchema(value: unknown, schema: Schema, options: CheckOptions = {}): string[] {
  const ctx: Ctx = { out: [], valueMismatches: 0 };
  check(value, schema, '$', options.root ?? schema, ctx, 0);
  return ctx.out;
}

/** Resolves a local JSON pointer such as "#/components/schemas/Node"; undefined when it leads nowhere. */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: any = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'null': return v === null;
    case 'array': return Array.isArray(v);
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    default: return false;
  }
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => equal((a as any)[k], (b as any)[k]));
}

// date-time of RFC 3339, loosely: what `new Date().toISOString()` and most servers write.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/** Problems found so far; `valueMismatches` counts enum/const misses, which usually mean "the wrong oneOf alternative". */
interface Ctx {
  out: string[];
  valueMismatches: number;
}

function check(value: unknown, schema: Schema, path: string, root: unknown, ctx: Ctx, depth: number): void {
  const out = ctx.out;
  if (schema === true || schema === undefined) return;
  if (schema === false) {
    out.push(`${path}: no value is allowed here`);
    return;
  }
  if (typeof schema !== 'object' || schema === null) {
    out.push(`${path}: the schema itself is not an object (${describe(schema)})`);
    return;
  }
  if (depth > MAX_REF_DEPTH) {
    out.push(`${path}: $ref nesting deeper than ${MAX_REF_DEPTH} (a cycle?)`);
    return;
  }

  if (typeof schema.$ref === 'string') {
    const target = resolvePointer(root, schema.$ref);
    if (target === undefined) {
      out.push(`${path}: $ref ${schema.$ref} does not resolve`);
      return;
    }
    check(value, target as Schema, path, root, ctx, depth + 1);
    // OpenAPI 3.0 ignores siblings of $ref; 3.1 applies them. Applying them is the stricter choice.
  }

  // null first: `nullable: true` (3.0) or "null" in a type list (3.1) lets null through everything else.
  const types: string[] | undefined = schema.type === undefined ? undefined : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (value === null && schema.nullable === true) return;

  if (types) {
    const ok = types.some((t) => hasType(value, t));
    if (!ok) {
      out.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(value)} ${describe(value)}`);
      return;
    }
  }

  if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => equal(e, value))) {
    out.push(`${path}: ${describe(value)} is not one of ${schema.enum.map((e: unknown) => describe(e)).join(', ')}`);
    ctx.valueMismatches += 1;
  }
  if ('const' in schema && !equal(schema.const, value)) {
    out.push(`${path}: ${describe(value)} is not ${describe(schema.const)}`);
    ctx.valueMismatches += 1;
  }

  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${path}: ${value} is less than the minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${path}: ${value} is more than the maximum ${schema.maximum}`);
  }

  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) out.push(`${path}: ${describe(value)} is shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) out.push(`${path}: ${describe(value)} is longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) out.push(`${path}: ${describe(value)} does not match /${schema.pattern}/`);
    if (schema.format === 'date-time' && (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))) {
      out.push(`${path}: ${describe(value)} is not a date-time`);
    }
  }

  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) out.push(`${path}: ${value.length} items, fewer than ${schema.minItems}`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) out.push(`${path}: ${value.length} items, more than ${schema.maxItems}`);
    if (schema.items !== undefined && !Array.isArray(schema.items)) {
      value.forEach((item, i) => check(item, schema.items, childPath(path, i), root, ctx, depth + 1));
    }
  }

  if (hasType(value, 'object')) {
    const obj = value as Record<string, unknown>;
    const props: Record<string, Schema> = schema.properties ?? {};
    if (Array.isArray(schema.required)) {
      for (const k of schema.required) if (!Object.prototype.hasOwnProperty.call(obj, k)) out.push(`${childPath(path, k)}: is required but missing`);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (Object.prototype.hasOwnProperty.call(props, k)) {
        check(v, props[k], childPath(path, k), root, ctx, depth + 1);
      } else if (schema.additionalProperties === false) {
        out.push(`${childPath(path, k)}: is not a documented property (additionalProperties is false)`);
      } else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
        check(v, schema.additionalProperties, childPath(path, k), root, ctx, depth + 1);
      }
    }
  }

  if (Array.isArray(schema.allOf)) {
    for (const sub of schema.allOf) check(value, sub, path, root, ctx, depth + 1);
  }
  if (Array.isArray(schema.anyOf)) {
    const results: Ctx[] = schema.anyOf.map((sub: Schema) => sub2(value, sub, path, root, depth));
    if (!results.some((r) => r.out.length === 0)) out.push(...noneMatched(path, 'anyOf', results));
  }
  if (Array.isArray(schema.oneOf)) {
    const results: Ctx[] = schema.oneOf.map((sub: Schema) => sub2(value, sub, path, root, depth));
    const matching = results.map((r, i) => (r.out.length === 0 ? i : -1)).filter((i) => i >= 0);
    if (matching.length === 0) out.push(...noneMatched(path, 'oneOf', results));
    else if (matching.length > 1) out.push(`${path}: matches ${matching.length} oneOf alternatives (#${matching.join(', #')}); exactly one must match`);
  }
  if (schema.not !== undefined && sub2(value, schema.not, path, root, depth).out.length === 0) {
    out.push(`${path}: matches a schema it must not match`);
  }
}

function sub2(value: unknown, schema: Schema, path: string, root: unknown, depth: number): Ctx {
  const ctx: Ctx = { out: [], valueMismatches: 0 };
  check(value, schema, path, root, ctx, depth + 1);
  return ctx;
}

/**
 * None of the alternatives matched: say so, with the problems of the closest one: the fewest enum/const
 * misses first (an event whose `type` is wrong for an alternative is not of that kind), then the fewest problems.
 */
function noneMatched(path: string, keyword: string, results: Ctx[]): string[] {
  let best = 0;
  results.forEach((r, i) => {
    const b = results[best];
    if (r.valueMismatches < b.valueMismatches || (r.valueMismatches === b.valueMismatches && r.out.length < b.out.length)) best = i;
  });
  return [
    `${path}: matches none of the ${results.length} ${keyword} alternatives; the closest (#${best}) says:`,
    ...results[best].out.map((p) => `  ${p}`),
  ];
}
