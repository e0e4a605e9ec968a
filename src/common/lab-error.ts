import { HttpStatus } from '@nestjs/common';

/** Every failure the service expects, by what went wrong rather than by HTTP status. */
export type LabErrorCode =
  | 'BAD_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CLUSTER_NOT_RUNNING'
  | 'KAFKA_UNAVAILABLE'
  | 'TIMEOUT'
  | 'TOO_MANY';

export const LAB_ERROR_STATUS = {
  BAD_INPUT: HttpStatus.BAD_REQUEST,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  CONFLICT: HttpStatus.CONFLICT,
  CLUSTER_NOT_RUNNING: HttpStatus.CONFLICT,
  KAFKA_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  TIMEOUT: HttpStatus.SERVICE_UNAVAILABLE,
  TOO_MANY: HttpStatus.TOO_MANY_REQUESTS,
} satisfies Record<LabErrorCode, HttpStatus>;

/** A failure with a sentence a student understands; `details` goes to the body as is. */
export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'LabError';
  }
  get status(): number {
    return LAB_ERROR_STATUS[this.code];
  }
}

export const badInput = (msg: string, details?: unknown[]) => new LabError('BAD_INPUT', msg, details);
export const notFound = (msg: string) => new LabError('NOT_FOUND', msg);
export const conflict = (msg: string) => new LabError('CONFLICT', msg);
