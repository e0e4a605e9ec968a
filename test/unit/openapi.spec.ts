// openapi.yaml (the published contract) against itself and against the routes the server really
// registers. The routes are read from Nest decorator metadata of every controller AppModule.forRoot()
// reaches: nothing is instantiated, so no Kafka, no database, no ports.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppModule } from '../../src/app.module';
import { loadConfig } from '../../src/config/lab-config';
import { deref, HTTP_METHODS, loadOpenApi, OpenApiDoc, operations, OperationRef } from '../support/openapi-doc';
import { gatewaysOf, routesOf, scanModules, ServerRoute } from '../support/nest-routes';
import { resolvePointer } from '../support/schema-check';
import { SERVER_EVENTS } from '../../src/live/live.types';

// Must match configureApp() in src/app.factory.ts.
const GLOBAL_PREFIX = 'api';
const PREFIX_EXCLUDE = ['/', '/metrics'];
// Must match the keys of Public() and Roles() in src/class/auth.guard.ts.
const PUBLIC_KEY = 'lab:public';
const ROLES_KEY = 'lab:roles';

const KNOWN_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const STATUS_KEY = /^([1-5]\d\d|[1-5]XX|default)$/;

const key = (method: string, p: string) => `${method.toUpperCase()} ${p}`;
const implemented = (o: OperationRef) => o.op['x-implemented'] !== false;

/** Every `$ref` in the document with the JSON path where it sits. */
function refsIn(node: unknown, at = '$', out: Array<{ at: string; ref: string }> = []) {
  if (Array.isArray(node)) node.forEach((v, i) => refsIn(v, `${at}[${i}]`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ at, ref: v });
      else refsIn(v, `${at}.${k}`, out);
    }
  }
  return out;
}

/** Every schema object (anything under components.schemas and every `schema:`), to check `type` keywords. */
function typeKeywords(node: unknown, at = '$', out: Array<{ at: string; type: unknown }> = []) {
  if (Array.isArray(node)) node.forEach((v, i) => typeKeywords(v, `${at}[${i}]`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      // "type" inside a securityScheme ("http") is not a schema type, nor is a property named "type".
      if (k === 'type' && !at.includes('.securitySchemes.') && !at.endsWith('.properties')) out.push({ at, type: v });
      else typeKeywords(v, `${at}.${k}`, out);
    }
  }
  return out;
}

function params(doc: OpenApiDoc, o: OperationRef): any[] {
  const byKey = new Map<string, any>();
  for (const p of [...(o.pathItem.parameters ?? []), ...(o.op.parameters ?? [])]) {
    const r = deref(doc, p);
    byKey.set(`${r.in}:${r.name}`, r);
  }
  return [...byKey.values()];
}

function effectiveSecurity(doc: OpenApiDoc, o: OperationRef): any[] {
  return o.op.security ?? doc.security ?? [];
}

describe('openapi.yaml is a valid OpenAPI document', () => {
  const doc = loadOpenApi();
  const ops = operations(doc);

  it('is OpenAPI 3.0 or 3.1 with info, paths and components', () => {
    expect(String(doc.openapi)).toMatch(/^3\.(0|1)\.\d+$/);
    expect(typeof doc.info?.title).toBe('string');
    expect(typeof doc.info?.version).toBe('string');
    expect(ops.length).toBeGreaterThan(30);
    expect(Object.keys(doc.components?.schemas ?? {}).length).toBeGreaterThan(10);
  });

  it('resolves every $ref', () => {
    const broken = refsIn(doc).filter(({ ref }) => resolvePointer(doc, ref) === undefined).map(({ at, ref }) => `${at}: ${ref}`);
    expect(broken).toEqual([]);
  });

  it('uses only known type names (an unquoted YAML null in a type list becomes a real null)', () => {
    const bad = typeKeywords(doc)
      .filter(({ type }) => !(Array.isArray(type) ? type : [type]).every((t) => typeof t === 'string' && KNOWN_TYPES.has(t)))
      .map(({ at, type }) => `${at}: ${JSON.stringify(type)}`);
    expect(bad).toEqual([]);
  });

  it('gives every operation a unique operationId and responses with a description each', () => {
    const problems: string[] = [];
    const ids = new Map<string, string>();
    for (const o of ops) {
      const k = key(o.method, o.path);
      if (typeof o.op.operationId !== 'string') problems.push(`${k}: no operationId`);
      else if (ids.has(o.op.operationId)) problems.push(`${k}: operationId ${o.op.operationId} is also used by ${ids.get(o.op.operationId)}`);
      else ids.set(o.op.operationId, k);
      const responses = o.op.responses;
      if (!responses || typeof responses !== 'object' || Object.keys(responses).length === 0) {
        problems.push(`${k}: no responses`);
        continue;
      }
      if (!Object.keys(responses).some((s) => /^2/.test(s))) problems.push(`${k}: no 2xx response`);
      for (const [status, r] of Object.entries<any>(responses)) {
        if (!STATUS_KEY.test(status)) problems.push(`${k}: response key ${status} is not a status code`);
        if (typeof deref(doc, r).description !== 'string') problems.push(`${k} ${status}: no description`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('declares every path parameter of every path, and no path parameter the path lacks', () => {
    const problems: string[] = [];
    for (const o of ops) {
      const inTemplate = [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = params(doc, o).filter((p) => p.in === 'path');
      for (const name of inTemplate) {
        const p = declared.find((d) => d.name === name);
        if (!p) problems.push(`${key(o.method, o.path)}: path parameter {${name}} is not declared`);
        else if (p.required !== true) problems.push(`${key(o.method, o.path)}: path parameter {${name}} must be required: true`);
      }
      for (const p of declared) if (!inTemplate.includes(p.name)) problems.push(`${key(o.method, o.path)}: declares path parameter ${p.name}, which the path lacks`);
      for (const p of params(doc, o)) if (!['path', 'query', 'header', 'cookie'].includes(p.in)) problems.push(`${key(o.method, o.path)}: parameter ${p.name} has in: ${p.in}`);
    }
    expect(problems).toEqual([]);
  });

  it('has the bearer scheme on every route but GET /api/health, POST /api/join and GET /api/class/ca.pem', () => {
    expect(doc.components.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    const problems: string[] = [];
    for (const o of ops) {
      const k = key(o.method, o.path);
      const sec = effectiveSecurity(doc, o);
      for (const req of sec) for (const name of Object.keys(req)) if (!schemes.has(name)) problems.push(`${k}: unknown security scheme ${name}`);
      const isPublic = sec.length === 0;
      const shouldBePublic = ['GET /api/health', 'POST /api/join', 'GET /api/class/ca.pem'].includes(k);
      if (isPublic !== shouldBePublic) problems.push(`${k}: ${isPublic ? 'is public but should need a token' : 'needs a token but should be public'}`);
      if (!isPublic && !o.op.responses['401']) problems.push(`${k}: needs a token but does not document 401`);
    }
    expect(problems).toEqual([]);
  });

  it('documents the error answers each route can give, all in the Error shape', () => {
    const problems: string[] = [];
    for (const o of ops) {
      const k = key(o.method, o.path);
      const rs = o.op.responses;
      if (o.op['x-roles'] && !rs['403']) problems.push(`${k}: has x-roles but no 403`);
      const takesInput = o.op.requestBody || params(doc, o).some((p) => p.in === 'query' || deref(doc, p.schema ?? {}).type === 'integer');
      if (takesInput && !rs['400']) problems.push(`${k}: takes input but documents no 400`);
      if (o.path.includes('{') && !rs['404'] && !o.path.startsWith('/api/cluster/nodes')) problems.push(`${k}: names a thing in its path but documents no 404`);
      if (o.path.startsWith('/api/cluster/nodes') && !rs['404']) problems.push(`${k}: no 404 for an unknown node`);
      for (const [status, r] of Object.entries<any>(rs)) {
        if (!/^[45]/.test(status)) continue;
        const content = deref(doc, r).content ?? {};
        const schema = content['application/json']?.schema;
        if (!schema) {
          problems.push(`${k} ${status}: no application/json schema`);
          continue;
        }
        const s = deref(doc, schema);
        for (const f of ['statusCode', 'error', 'message']) if (!(s.required ?? []).includes(f)) problems.push(`${k} ${status}: the body does not require ${f}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has the schemas of API.md', () => {
    const names = Object.keys(doc.components.schemas);
    for (const n of ['Node', 'Cluster', 'TopicSummary', 'TopicDescription', 'PartitionDescription', 'ProduceRequest', 'ProduceResult',
      'ProduceResponse', 'ProduceError', 'Consumer', 'Message', 'GroupSummary', 'GroupDetail', 'Event', 'EventsPage', 'Error',
      'Principal', 'Student', 'StudentWithToken', 'ClassSettings', 'GradingReport', 'Subscription', 'SubscriptionAck', 'Overflow']) {
      expect(names).toContain(n);
    }
    expect(doc.components.schemas.Error.required).toEqual(['statusCode', 'error', 'message']);
    expect(Object.keys(doc.components.schemas.Error.properties).sort()).toEqual(['details', 'error', 'message', 'retriable', 'statusCode']);
  });

  it('names the text and CSV answers and the text/plain produce body', () => {
    const get = (p: string, m: string) => ops.find((o) => o.path === p && o.method === m)!.op;
    expect(Object.keys(get('/api/topics/{name}', 'get').responses['200'].content)).toEqual(expect.arrayContaining(['application/json', 'text/plain']));
    expect(Object.keys(get('/api/grading', 'get').responses['200'].content)).toEqual(expect.arrayContaining(['application/json', 'text/csv']));
    expect(Object.keys(get('/api/topics/{name}/messages', 'post').requestBody.content)).toEqual(expect.arrayContaining(['application/json', 'text/plain']));
  });

  it('describes the WebSocket protocol', () => {
    const ws = doc['x-websocket'];
    expect(ws.namespace).toBe('/lab');
    expect(ws.handshake.auth.required).toEqual(['token']);
    expect(Object.keys(ws.clientEvents).sort()).toEqual(['subscribe', 'unsubscribe']);
    expect(Object.keys(ws.serverEvents)).toEqual(expect.arrayContaining(['message', 'rebalance', 'event', 'cluster', 'overflow']));
    expect(doc.info.description).toContain('namespace `/lab`');
  });

  it('has only the HTTP methods OpenAPI knows on each path', () => {
    const allowed = new Set<string>([...HTTP_METHODS, 'parameters', 'summary', 'description', 'servers']);
    const extra = Object.entries<any>(doc.paths).flatMap(([p, item]) => Object.keys(item).filter((k) => !allowed.has(k) && !k.startsWith('x-')).map((k) => `${p}: ${k}`));
    expect(extra).toEqual([]);
  });
});

describe('openapi.yaml and the routes the server registers', () => {
  const doc = loadOpenApi();
  const ops = operations(doc);
  let routes: ServerRoute[];
  let providers: unknown[];

  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-openapi-'));
    const config = loadConfig({ LAB_DATA_DIR: dataDir, LAB_AUTOSTART: 'false', LAB_INSTRUCTOR_TOKEN: 'openapi-spec-token' });
    const scan = await scanModules(AppModule.forRoot(config));
    routes = routesOf(scan.controllers, { globalPrefix: GLOBAL_PREFIX, prefixExclude: PREFIX_EXCLUDE });
    providers = scan.providers;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Routes under /api: the file is the API's contract (a dashboard served at "/" is not in it). */
  const apiRoutes = () => routes.filter((r) => r.path === '/api' || r.path.startsWith('/api/'));
  const opOf = (r: ServerRoute) => ops.find((o) => o.method === r.method && o.path === r.path);

  it('finds the controllers (sanity check of the metadata walk)', () => {
    expect(apiRoutes().map((r) => key(r.method, r.path))).toEqual(expect.arrayContaining(['GET /api/health', 'GET /api/cluster', 'POST /api/topics/{name}/messages']));
  });

  it('(a) documents every route the server has', () => {
    const missing = apiRoutes().filter((r) => !opOf(r)).map((r) => `${key(r.method, r.path)} (${r.controller}.${r.handler})`);
    expect(missing).toEqual([]);
  });

  it('(b) has no route the server lacks, unless it is marked x-implemented: false', () => {
    const have = new Set(routes.map((r) => key(r.method, r.path)));
    const extra = ops.filter((o) => implemented(o) && !have.has(key(o.method, o.path))).map((o) => key(o.method, o.path));
    expect(extra).toEqual([]);
  });

  it('(c) marks x-implemented: false only routes the server does not have yet (remove the mark once it does)', () => {
    const have = new Set(routes.map((r) => key(r.method, r.path)));
    const stale = ops.filter((o) => !implemented(o) && have.has(key(o.method, o.path))).map((o) => key(o.method, o.path));
    expect(stale).toEqual([]);
  });

  it('says which routes need no token exactly as the server does (@Public)', () => {
    const problems: string[] = [];
    for (const r of apiRoutes()) {
      const o = opOf(r);
      if (!o) continue;
      const filePublic = effectiveSecurity(doc, o).length === 0;
      const serverPublic = r.meta(PUBLIC_KEY) === true;
      if (filePublic !== serverPublic) problems.push(`${key(r.method, r.path)}: the server ${serverPublic ? 'needs no token' : 'needs a token'}, the file says otherwise`);
    }
    expect(problems).toEqual([]);
  });

  it('gives x-roles exactly where the server restricts roles (@Roles)', () => {
    const problems: string[] = [];
    for (const r of apiRoutes()) {
      const o = opOf(r);
      if (!o) continue;
      const server = ((r.meta(ROLES_KEY) as string[] | undefined) ?? []).slice().sort();
      const file = ((o.op['x-roles'] as string[] | undefined) ?? []).slice().sort();
      if (JSON.stringify(server) !== JSON.stringify(file)) problems.push(`${key(r.method, r.path)}: server roles [${server}], x-roles [${file}]`);
    }
    expect(problems).toEqual([]);
  });

  it("documents the status a handler answers with when it does not set its own (@HttpCode or Nest's default)", () => {
    const problems: string[] = [];
    for (const r of apiRoutes()) {
      const o = opOf(r);
      if (!o || r.setsOwnStatus) continue;
      const status = r.httpCode ?? (r.method === 'post' ? 201 : 200);
      if (!o.op.responses[String(status)]) problems.push(`${key(r.method, r.path)}: answers ${status}, the file documents ${Object.keys(o.op.responses).join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('describes the socket.io gateway: its namespace, the messages it takes and the events it emits', () => {
    const ws = doc['x-websocket'];
    const gateways = gatewaysOf(providers);
    expect(gateways.map((g) => g.namespace)).toEqual([ws.namespace]);
    expect(gateways[0].messages).toEqual(Object.keys(ws.clientEvents).sort());
    // Events the gateway emits: its typed server-to-client map, and what its sources emit by name. Each must be documented.
    const dir = path.resolve(__dirname, '../../src/live');
    const src = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    const emitted = new Set([
      ...Object.keys(SERVER_EVENTS),
      ...[...src.matchAll(/\{\s*event:\s*'([\w-]+)'/g), ...src.matchAll(/\.emit\(\s*'([\w-]+)'/g)].map((m) => m[1]),
    ]);
    expect(emitted.size).toBeGreaterThan(2);
    const undocumented = [...emitted].filter((e) => !(e in ws.serverEvents));
    expect(undocumented).toEqual([]);
  });
});
