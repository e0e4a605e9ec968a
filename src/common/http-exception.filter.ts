import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { LabError } from './lab-error';

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown[];
}

export function errorBody(statusCode: number, message: string, details?: unknown[]): ErrorBody {
  const body: ErrorBody = { statusCode, error: REASONS[statusCode] ?? 'Error', message };
  if (details && details.length) body.details = details;
  return body;
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

/**
 * One place that shapes every error body. HTTP errors pass through; LabErrors map by code; anything
 * else is a bug: logged with an id and answered 500 with that id so it can be found in the log.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    let body: ErrorBody;
    if (exception instanceof LabError) {
      body = errorBody(exception.status, exception.message, exception.details);
    } else if (exception instanceof HttpException) {
      const s = exception.getStatus();
      const { message, details } = sentenceOf(exception);
      body = errorBody(s, s === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE)/.test(message)
        ? `There is no route ${req.method} ${req.path}.` : message, details);
    } else if (isBodyParserError(exception)) {
      body = errorBody(exception.status, bodyParserSentence(exception));
    } else {
      const id = randomUUID();
      this.log.error(`[${id}] ${req.method} ${req.url}: ${(exception as Error)?.stack ?? String(exception)}`);
      body = errorBody(HttpStatus.INTERNAL_SERVER_ERROR, `The server failed unexpectedly; this is a bug (error id ${id}).`);
    }
    if (!res.headersSent) res.status(body.statusCode).json(body);
  }
}

function isBodyParserError(e: unknown): e is { status: number; type: string; message: string } {
  return typeof e === 'object' && e !== null && typeof (e as any).status === 'number' && typeof (e as any).type === 'string';
}

function bodyParserSentence(e: { type: string; message: string }): string {
  switch (e.type) {
    case 'entity.parse.failed': return 'The request body is not valid JSON.';
    case 'entity.too.large': return 'The request body is too large.';
    case 'encoding.unsupported': return 'The request body has an unsupported encoding; send UTF-8.';
    default: return `The request body could not be read: ${e.message}.`;
  }
}
