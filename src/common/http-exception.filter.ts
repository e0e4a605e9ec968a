import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { presentSentence } from '../class/present';
import type { Principal } from '../class/principal';
import { LabError } from './lab-error';

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** What every error answer carries (openapi.yaml `Error`). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown[];
  /** True when sending the same request again later may succeed with nothing else done (see LabError). */
  retriable: boolean;
}

export function errorBody(statusCode: number, message: string, details?: unknown[], retriable = false): ErrorBody {
  const body: ErrorBody = { statusCode, error: REASONS[statusCode] ?? 'Error', message, retriable };
  if (details && details.length) body.details = details;
  return body;
}

/** An answer to send: the body, and headers such as Allow (405) or Retry-After (retriable errors). */
export interface ErrorAnswer {
  body: ErrorBody;
  headers: Record<string, string>;
  /** Set for bugs: what to log (with the id the body names). */
  bug?: string;
}

/**
 * THE one place that turns anything thrown while answering a request into the API's error answer:
 * LabErrors by their code, Nest's HTTP exceptions (no route, 405), body-parser failures (bad JSON, too
 * large, bad encoding), and everything else as a bug (500 with an id to find it in the log).
 */
export function errorAnswerOf(exception: unknown, req: Request): ErrorAnswer {
  if (exception instanceof LabError) {
    // A student's sentence names their things as they do, even where Kafka's own words had the cluster's name.
    const who = (req as Request & { principal?: Principal }).principal;
    const details = exception.details && presentSentence(who, JSON.stringify(exception.details));
    const body = errorBody(exception.status, presentSentence(who, exception.message), details ? JSON.parse(details) : undefined, exception.retriable);
    return { body, headers: exception.retriable ? { 'Retry-After': String(exception.retryAfterSeconds ?? 1) } : {} };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const { message, details } = sentenceOf(exception);
    if (status === 404 && /^Cannot [A-Z]+ /.test(message)) return noRoute(req);
    return { body: errorBody(status, message, details), headers: {} };
  }
  if (isBodyParserError(exception)) return { body: errorBody(exception.status, bodyParserSentence(exception)), headers: {} };
  const id = randomUUID();
  return {
    body: errorBody(HttpStatus.INTERNAL_SERVER_ERROR, `The server failed unexpectedly; this is a bug (error id ${id}).`),
    headers: {},
    bug: `[${id}] ${req.method} ${req.url}: ${(exception as Error)?.stack ?? String(exception)}`,
  };
}

/** 405 with Allow when the path exists under other methods; else 404 naming the route. */
function noRoute(req: Request): ErrorAnswer {
  const allowed = allowedMethods(req);
  if (allowed.length) {
    return {
      body: errorBody(405, `${req.path} does not take ${req.method}; it takes ${allowed.join(', ')}.`),
      headers: { Allow: allowed.join(', ') },
    };
  }
  return { body: errorBody(404, `There is no route ${req.method} ${req.path}.`), headers: {} };
}

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): unknown;
}

/** The methods the app's routes take on this path (HEAD with GET, as Express answers it). */
export function allowedMethods(req: Request): string[] {
  const app = req.app as unknown as { router?: { stack?: RouteLayer[] } };
  const methods = new Set<string>();
  for (const layer of app.router?.stack ?? []) {
    if (!layer.route || !layer.match(req.path)) continue;
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') methods.add(m.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** Turns a Nest/Express HttpException's message (string, array, or object) into one sentence. */
function sentenceOf(ex: HttpException): { message: string; details?: unknown[] } {
  const res = ex.getResponse();
  if (typeof res === 'string') return { message: res };
  const m = (res as { message?: unknown }).message;
  if (Array.isArray(m)) {
    const parts = m.map(String);
    return { message: parts.length === 1 ? parts[0] : `${parts.length} problems with the request: ${parts.join('; ')}.`, details: parts };
  }
  if (typeof m === 'string') return { message: m };
  return { message: ex.message };
}

function isBodyParserError(e: unknown): e is { status: number; type: string; message: string; limit?: number } {
  return typeof e === 'object' && e !== null && typeof (e as any).status === 'number' && typeof (e as any).type === 'string';
}

function bodyParserSentence(e: { type: string; message: string; limit?: number }): string {
  switch (e.type) {
    case 'entity.parse.failed': return `The request body is not valid JSON (${e.message.replace(/\.$/, '')}).`;
    case 'entity.too.large': return `The request body is larger than the ${e.limit ? `${sizeOf(e.limit)} ` : ''}the server accepts.`;
    case 'encoding.unsupported': return 'The request body has an encoding the server does not read; send UTF-8.';
    case 'charset.unsupported': return 'The request body has a charset the server does not read; send UTF-8.';
    case 'request.aborted': return 'The request body did not arrive whole (the client stopped sending).';
    default: return `The request body could not be read: ${e.message.replace(/\.$/, '')}.`;
  }
}

function sizeOf(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / 1024 / 1024)} MB`;
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}

function send(res: Response, answer: ErrorAnswer): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
  // Set outright: a handler may have chosen another type (text/plain) before it failed.
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.status(answer.body.statusCode).json(answer.body);
}

const log = new Logger('HTTP');

/** Nest's side of the boundary: every exception a controller, guard or pipe throws. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const ctx = host.switchToHttp();
    const answer = errorAnswerOf(exception, ctx.getRequest<Request>());
    if (answer.bug) log.error(answer.bug);
    send(ctx.getResponse<Response>(), answer);
  }
}

/** Express's side of the boundary: failures of middleware that runs before Nest (the body parsers). */
export function expressErrorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const answer = errorAnswerOf(err, req);
  if (answer.bug) log.error(answer.bug);
  send(res, answer);
}
