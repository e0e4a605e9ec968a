import { KafkaWireError, NoBrokerAnsweredError } from './protocol/kafka-connection';

/**
 * kafkajs also throws plain Errors from inside (e.g. "Broker not connected" when a request races a
 * dying connection): they are Kafka-client failures, not bugs of ours, so they are told by where they
 * were thrown.
 */
const THROWN_BY_KAFKAJS = /[\\/]node_modules[\\/]kafkajs[\\/]/;

export function thrownByKafkajs(err: unknown): boolean {
  return err instanceof Error && err.name === 'Error' && THROWN_BY_KAFKAJS.test(err.stack?.split('\n')[1] ?? '');
}

/** kafkajs's own words when its connection to one broker is gone (see thrownByKafkajs). */
export const KAFKAJS_NOT_CONNECTED = /^(Broker not connected|Closed connection|Connection timeout)/i;

interface ErrLike {
  name?: string;
  message?: string;
  code?: unknown;
  cause?: unknown;
  originalError?: unknown;
  broker?: unknown;
  host?: unknown;
  port?: unknown;
}

/** "host:port" of the broker a kafkajs connection error names, if it names one. */
export function brokerOf(err: unknown): string | undefined {
  const e = (err ?? {}) as ErrLike;
  if (typeof e.broker === 'string' && e.broker) return e.broker;
  if (typeof e.host === 'string' && e.port !== undefined) return `${e.host}:${String(e.port)}`;
  return undefined;
}

/** kafkajs's retry wrappers keep what failed last as `cause` (or `originalError`). */
function wrapped(e: ErrLike): unknown[] {
  return e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSNonRetriableError' ? [e.cause, e.originalError] : [];
}

/**
 * True for a failure to reach a broker before anything was sent to it (connection refused, kafkajs
 * not connected to it, or the broker unknown to kafkajs): the same request may be sent again without
 * risk of doing it twice. Looks through kafkajs's retry wrappers.
 */
export function isRefusedConnection(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as ErrLike;
  if (err instanceof KafkaWireError) return err.kind === 'refused' || err.kind === 'unreachable';
  if (err instanceof NoBrokerAnsweredError) return err.errors.length > 0 && err.errors.every((x) => isRefusedConnection(x, depth + 1));
  if (e.name === 'KafkaJSBrokerNotFound') return true;
  if (e.name === 'KafkaJSConnectionError') return e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message ?? '');
  if (/^Broker not connected/i.test(e.message ?? '') && thrownByKafkajs(err)) return true;
  return wrapped(e).some((x) => x !== err && isRefusedConnection(x, depth + 1));
}

/**
 * True for a failure to reach one broker (refused, unreachable, closed, not connected): whether the
 * whole cluster is down then takes a look of our own (KafkaErrorContext.noBrokerAnswers).
 */
export function isConnectionFailure(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as ErrLike;
  if (err instanceof KafkaWireError) return err.kind === 'refused' || err.kind === 'unreachable' || err.kind === 'closed';
  if (e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSConnectionClosedError' || e.name === 'KafkaJSBrokerNotFound') return true;
  if (KAFKAJS_NOT_CONNECTED.test(e.message ?? '') && thrownByKafkajs(err)) return true;
  return wrapped(e).some((x) => x !== err && isConnectionFailure(x, depth + 1));
}
