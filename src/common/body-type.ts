import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { badInput, LabError } from './lab-error';

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
const TEXT_TYPE = /^text\/plain\s*(;|$)/i;

const mediaError = (what: string) =>
  new LabError('UNSUPPORTED_MEDIA_TYPE', `${what}; send JSON with "Content-Type: application/json" (producing also takes text/plain lines).`);

/** True when the request carries a body (a length above 0, or a chunked one). */
function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/**
 * Express middleware before the body parsers: a body that is neither JSON nor text/plain would arrive
 * unread (as if empty) and be judged field by field; it gets one 415 sentence instead.
 */
export function refuseUnreadableBodies(req: Request, _res: Response, next: NextFunction): void {
  if (!hasBody(req)) return next();
  const type = req.headers['content-type'];
  if (type !== undefined && (JSON_TYPE.test(type) || TEXT_TYPE.test(type))) return next();
  next(mediaError(type ? `The server does not read bodies of type ${type.split(';')[0]}` : 'The request body has no Content-Type'));
}

/**
 * A route whose body is a DTO takes JSON only; text/plain (read for producing) reaching it is a 415,
 * not a list of missing fields. A JSON `null` is refused too: the ValidationPipe would take it for an
 * empty object, so a route whose fields are all optional (PATCH /api/class) would answer 200 to it.
 */
@Injectable()
export class JsonBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    if (typeof value === 'string') throw mediaError('This route takes a JSON body, not text');
    if (value === null && isDto(metadata.metatype)) throw badInput('The body is JSON null; this route takes a JSON object.');
    return value;
  }
}

/** A class of the server's own (a DTO), not a built-in type a handler declares for a raw body. */
function isDto(metatype: ArgumentMetadata['metatype']): boolean {
  return typeof metatype === 'function' && ![Object, String, Number, Boolean, Array].includes(metatype as never);
}
