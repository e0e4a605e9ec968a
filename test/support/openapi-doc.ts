import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { checkSchema, resolvePointer, Schema } from './schema-check';

/** The published contract, at the repository root. */
export const OPENAPI_FILE = path.resolve(__dirname, '../../openapi.yaml');

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type OpenApiDoc = Record<string, any>;

export interface OperationRef {
  method: HttpMethod;
  /** The path as the file writes it, e.g. "/api/topics/{name}". */
  path: string;
  op: Record<string, any>;
  pathItem: Record<string, any>;
}

export function loadOpenApi(file = OPENAPI_FILE): OpenApiDoc {
  return parse(fs.readFileSync(file, 'utf8')) as OpenApiDoc;
}

/** Follows `$ref` chains (responses, parameters, schemas) to the object they name; throws when one leads nowhere. */
export function deref<T = any>(doc: OpenApiDoc, obj: T, seen = 0): T {
  const ref = (obj as any)?.$ref;
  if (typeof ref !== 'string') return obj;
  if (seen > 32) throw new Error(`$ref ${ref} loops`);
  const target = resolvePointer(doc, ref);
  if (target === undefined) throw new Error(`$ref ${ref} does not resolve`);
  return deref(doc, target as T, seen + 1);
}

export function operations(doc: OpenApiDoc): OperationRef[] {
  const out: OperationRef[] = [];
  for (const [p, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const m of HTTP_METHODS) if (item && typeof item[m] === 'object') out.push({ method: m, path: p, op: item[m], pathItem: item });
  }
  return out;
}

/** The operation for a method and a path template; throws with the list of documented paths when there is none. */
export function operation(doc: OpenApiDoc, method: string, pathTemplate: string): OperationRef {
  const found = operations(doc).find((o) => o.method === method.toLowerCase() && o.path === pathTemplate);
  if (!found) throw new Error(`openapi.yaml has no ${method.toUpperCase()} ${pathTemplate}`);
  return found;
}

/**
 * The schema openapi.yaml promises for one answer of one operation. Throws when the status is not
 * documented for that operation (falling back to "default" and "4XX"-style ranges as OpenAPI does)
 * or when the response has no schema for the content type.
 */
export function responseSchema(doc: OpenApiDoc, method: string, pathTemplate: string, status: number, contentType = 'application/json'): Schema {
  const { op } = operation(doc, method, pathTemplate);
  const responses = op.responses ?? {};
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
  if (!key) throw new Error(`${method.toUpperCase()} ${pathTemplate} does not document status ${status} (it documents ${Object.keys(responses).join(', ')})`);
  const response = deref(doc, responses[key]);
  // A documented media type may carry parameters ("text/plain; version=0.0.4"); the answer's is matched on its type.
  const content = response.content ?? {};
  const media = content[contentType] ?? Object.entries(content).find(([k]) => k.split(';')[0].trim() === contentType)?.[1];
  if (!media) throw new Error(`${method.toUpperCase()} ${pathTemplate} ${status} has no ${contentType} content (it has ${Object.keys(response.content ?? {}).join(', ') || 'none'})`);
  if (media.schema === undefined) throw new Error(`${method.toUpperCase()} ${pathTemplate} ${status} ${contentType} has no schema`);
  return media.schema as Schema;
}

/** Problems of one real answer against the file: the status must be documented and the body must fit its schema. */
export function checkResponse(
  doc: OpenApiDoc,
  method: string,
  pathTemplate: string,
  res: { status: number; body: unknown; headers?: Record<string, string | string[] | undefined> },
): string[] {
  const ct = String(res.headers?.['content-type'] ?? 'application/json').split(';')[0].trim();
  let schema: Schema;
  try {
    schema = responseSchema(doc, method, pathTemplate, res.status, ct);
  } catch (e) {
    return [(e as Error).message];
  }
  return checkSchema(res.body, schema, { root: doc }).map((p) => `${method.toUpperCase()} ${pathTemplate} ${res.status}: ${p}`);
}
