import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, MODULE_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { GATEWAY_METADATA, GATEWAY_OPTIONS, MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';

/**
 * The routes a Nest app registers, read from decorator metadata alone: no provider is built, no
 * lifecycle hook runs, so no Kafka is needed. Walks a root module's imports (classes, dynamic module
 * objects, forwardRefs) the way Nest's scanner does and reads every controller's @Controller path and
 * each handler's @Get/@Post/... path and method.
 */

type Ctor = new (...args: any[]) => unknown;

export interface ServerRoute {
  method: string;
  /** OpenAPI style: "/api/topics/{name}". */
  path: string;
  controller: string;
  handler: string;
  /** @HttpCode, if any. */
  httpCode: number | undefined;
  /** The handler injects @Res(): it chooses its own status, so Nest's default is not the answer. */
  setsOwnStatus: boolean;
  /** Metadata read off the handler, falling back to the controller (like Reflector.getAllAndOverride). */
  meta: (key: string) => unknown;
}

export interface GatewayInfo {
  name: string;
  namespace: string | undefined;
  messages: string[];
}

export interface ModuleScan {
  controllers: Ctor[];
  providers: unknown[];
}

export interface RouteOptions {
  /** The global prefix of app.setGlobalPrefix, without slashes ("api"). */
  globalPrefix?: string;
  /** Paths excluded from the global prefix (as in setGlobalPrefix's `exclude`). */
  prefixExclude?: string[];
}

function isDynamicModule(m: unknown): m is { module: Ctor; imports?: unknown[]; controllers?: Ctor[]; providers?: unknown[] } {
  return typeof m === 'object' && m !== null && typeof (m as { module?: unknown }).module === 'function';
}

/** Every controller and provider reachable from `root` through imports. */
export async function scanModules(root: unknown): Promise<ModuleScan> {
  const seen = new Set<unknown>();
  const controllers = new Set<Ctor>();
  const providers: unknown[] = [];
  const visit = async (entry: unknown): Promise<void> => {
    let m = entry;
    if (m && typeof (m as Promise<unknown>).then === 'function') m = await m;
    if (m && typeof m === 'object' && typeof (m as { forwardRef?: unknown }).forwardRef === 'function') m = (m as { forwardRef: () => unknown }).forwardRef();
    if (!m || seen.has(m)) return;
    seen.add(m);
    let cls: Ctor;
    let imports: unknown[] = [];
    let ctrls: Ctor[] = [];
    let provs: unknown[] = [];
    if (isDynamicModule(m)) {
      cls = m.module;
      imports = m.imports ?? [];
      ctrls = m.controllers ?? [];
      provs = m.providers ?? [];
    } else if (typeof m === 'function') {
      cls = m as Ctor;
    } else {
      return;
    }
    // A dynamic module adds to its class's own @Module metadata; the class may also be imported alone.
    imports = [...(Reflect.getMetadata(MODULE_METADATA.IMPORTS, cls) ?? []), ...imports];
    ctrls = [...(Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, cls) ?? []), ...ctrls];
    provs = [...(Reflect.getMetadata(MODULE_METADATA.PROVIDERS, cls) ?? []), ...provs];
    ctrls.forEach((c) => controllers.add(c));
    providers.push(...provs);
    for (const i of imports) await visit(i);
  };
  await visit(root);
  return { controllers: [...controllers], providers };
}

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return ['/'];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function joinPath(...parts: string[]): string {
  const joined = '/' + parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
  return joined;
}

/** Express-style ":param" (with an optional "?" or "(regex)") becomes OpenAPI "{param}". */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?\??/g, '{$1}');
}

function methodsOf(proto: object): Array<[string, Function]> {
  const out: Array<[string, Function]> = [];
  const names = new Set<string>();
  for (let p: any = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor' || names.has(name)) continue;
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d && typeof d.value === 'function') {
        names.add(name);
        out.push([name, d.value]);
      }
    }
  }
  return out;
}

export function routesOf(controllers: Ctor[], options: RouteOptions = {}): ServerRoute[] {
  const prefix = options.globalPrefix ?? '';
  const exclude = new Set((options.prefixExclude ?? []).map((p) => joinPath(p)));
  const routes: ServerRoute[] = [];
  for (const ctrl of controllers) {
    const ctrlPaths = asList(Reflect.getMetadata(PATH_METADATA, ctrl));
    for (const [name, fn] of methodsOf(ctrl.prototype as object)) {
      const method = Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod | undefined;
      if (method === undefined || !Reflect.hasMetadata(PATH_METADATA, fn)) continue;
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, ctrl, name) ?? {}) as Record<string, unknown>;
      const setsOwnStatus = Object.keys(args).some((k) => k.split(':')[0] === String(RouteParamtypes.RESPONSE));
      for (const cp of ctrlPaths) {
        for (const mp of asList(Reflect.getMetadata(PATH_METADATA, fn))) {
          const bare = joinPath(cp, mp);
          const full = prefix && !exclude.has(bare) ? joinPath(prefix, bare) : bare;
          routes.push({
            method: RequestMethod[method].toLowerCase(),
            path: toOpenApiPath(full),
            controller: ctrl.name,
            handler: name,
            httpCode: Reflect.getMetadata(HTTP_CODE_METADATA, fn) as number | undefined,
            setsOwnStatus,
            meta: (key) => Reflect.getMetadata(key, fn) ?? Reflect.getMetadata(key, ctrl),
          });
        }
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** socket.io gateways among the providers: their namespace and the messages they subscribe to. */
export function gatewaysOf(providers: unknown[]): GatewayInfo[] {
  const classes = new Set<Ctor>();
  for (const p of providers) {
    const cls = typeof p === 'function' ? p : (p as { useClass?: unknown })?.useClass;
    if (typeof cls === 'function' && Reflect.getMetadata(GATEWAY_METADATA, cls)) classes.add(cls as Ctor);
  }
  return [...classes].map((cls) => ({
    name: cls.name,
    namespace: (Reflect.getMetadata(GATEWAY_OPTIONS, cls) ?? {}).namespace,
    messages: methodsOf(cls.prototype as object)
      .filter(([, fn]) => Reflect.getMetadata(MESSAGE_MAPPING_METADATA, fn))
      .map(([, fn]) => String(Reflect.getMetadata(MESSAGE_METADATA, fn)))
      .sort(),
  }));
}
