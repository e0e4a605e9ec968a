import { HttpStatus } from '@nestjs/common';

/**
 * Every failure the service expects, by what went wrong rather than by HTTP status. Services throw a
 * LabError with one of these; the exception filter answers with LAB_ERROR_STATUS[code]. Anything
 * thrown that is not a LabError (nor an HTTP or body-parser error) is a bug and answers 500.
 */
export type LabErrorCode =
  | 'BAD_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  /** A write to one of Kafka's own topics (`__consumer_offsets`, ...). */
  | 'INTERNAL_TOPIC'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CLUSTER_NOT_RUNNING'
  /** A node (or consumer) is not in a state that allows this, e.g. pausing a node that is not running. */
  | 'WRONG_STATE'
  /** Another change of the same node or of the cluster is under way; it may be tried again after it. */
  | 'IN_PROGRESS'
  /** A fixed limit is reached, e.g. the most brokers a cluster here may have. */
  | 'LIMIT_REACHED'
  | 'KAFKA_UNAVAILABLE'
  | 'TIMEOUT'
  /** The driver (processes, containers) could not do what was asked: spawn failed, Docker unreachable, ... */
  | 'DRIVER_FAILED'
  /** Kafka's jars or Java are missing and could not be fetched. */
  | 'KAFKA_DISTRIBUTION'
  /** A body of a type the route does not read (e.g. form data, or text to a route that takes JSON). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY';

/** One table: a code's HTTP status. Adding a code without a status does not compile. */
export const LAB_ERROR_STATUS = {
  BAD_INPUT: HttpStatus.BAD_REQUEST,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  INTERNAL_TOPIC: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  CONFLICT: HttpStatus.CONFLICT,
  CLUSTER_NOT_RUNNING: HttpStatus.CONFLICT,
  WRONG_STATE: HttpStatus.CONFLICT,
  IN_PROGRESS: HttpStatus.CONFLICT,
  LIMIT_REACHED: HttpStatus.CONFLICT,
  KAFKA_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  TIMEOUT: HttpStatus.SERVICE_UNAVAILABLE,
  DRIVER_FAILED: HttpStatus.SERVICE_UNAVAILABLE,
  KAFKA_DISTRIBUTION: HttpStatus.SERVICE_UNAVAILABLE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  TOO_MANY: HttpStatus.TOO_MANY_REQUESTS,
} as const satisfies Record<LabErrorCode, HttpStatus>;

/**
 * Whether the same request, sent again unchanged, may succeed without anyone doing anything: true for
 * passing states (no leader yet, an election, a change in progress, a busy cluster), false where a
 * person must act first (start the cluster, fix the input, install Java).
 */
export const LAB_ERROR_RETRIABLE = {
  BAD_INPUT: false,
  UNAUTHENTICATED: false,
  FORBIDDEN: false,
  INTERNAL_TOPIC: false,
  NOT_FOUND: false,
  CONFLICT: false,
  CLUSTER_NOT_RUNNING: false,
  WRONG_STATE: false,
  IN_PROGRESS: true,
  LIMIT_REACHED: false,
  KAFKA_UNAVAILABLE: true,
  TIMEOUT: true,
  DRIVER_FAILED: false,
  KAFKA_DISTRIBUTION: false,
  UNSUPPORTED_MEDIA_TYPE: false,
  TOO_MANY: true,
} as const satisfies Record<LabErrorCode, boolean>;

/** A failure with a sentence a student understands; `details` goes to the body as is. */
export class LabError extends Error {
  /** See LAB_ERROR_RETRIABLE; a thrower who knows better (e.g. a Kafka code Kafka calls retriable) says so. */
  readonly retriable: boolean;
  /** For a retriable error: when to try again (Retry-After), where the thrower knows (a rate quota's refill); else 1 s. */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: LabErrorCode,
    message: string,
    readonly details?: unknown[],
    opts: { retriable?: boolean; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'LabError';
    this.retriable = opts.retriable ?? LAB_ERROR_RETRIABLE[code];
    if (opts.retryAfterSeconds !== undefined) this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  get status(): number {
    return LAB_ERROR_STATUS[this.code];
  }
}

export const badInput = (msg: string, details?: unknown[]) => new LabError('BAD_INPUT', msg, details);
export const notFound = (msg: string) => new LabError('NOT_FOUND', msg);
export const conflict = (msg: string) => new LabError('CONFLICT', msg);
export const wrongState = (msg: string) => new LabError('WRONG_STATE', msg);
export const inProgress = (msg: string) => new LabError('IN_PROGRESS', msg);
export const driverFailed = (msg: string) => new LabError('DRIVER_FAILED', msg);
