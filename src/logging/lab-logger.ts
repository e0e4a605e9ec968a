import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';
import type { LogFormat, LogLevel } from '../config/lab-config';

/** One log line before it is written. */
export interface LogEntry {
  time: Date;
  level: LogLevel;
  context: string;
  message: string;
  /** Errors: where it was thrown, when known. */
  stack?: string;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * Nest's own start-up chatter (modules loaded, every route mapped, gateways subscribed): useful when
 * debugging the service, noise for a person starting a class. Shown at `debug` only.
 */
const NEST_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'WebSocketsController']);

/** `text`: `2026-12-02T02:01:11.123Z INFO  [Cluster] Kafka 3.9.2 from cache ...`; `json`: one object per line. */
export function formatLogLine(e: LogEntry, format: LogFormat): string {
  if (format === 'json') {
    return JSON.stringify({ time: e.time.toISOString(), level: e.level, context: e.context, message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  }
  const line = `${e.time.toISOString()} ${e.level.toUpperCase().padEnd(5)} [${e.context}] ${e.message}`;
  return e.stack ? `${line}\n${e.stack}` : line;
}

/** The level a line is shown at: Nest's start-up chatter is demoted from info to debug. */
export function effectiveLevel(level: LogLevel, context: string): LogLevel {
  return level === 'info' && NEST_BOOT_CONTEXTS.has(context) ? 'debug' : level;
}

/** Whether a line of `level` from `context` is written when the service logs at `threshold`. */
export function shouldLog(level: LogLevel, context: string, threshold: LogLevel): boolean {
  return RANK[effectiveLevel(level, context)] <= RANK[threshold];
}

type Sink = (line: string, level: LogLevel) => void;

const stdSink: Sink = (line, level) => (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line + '\n');

/**
 * The service's one logger (Nest's and ours): a level from LAB_LOG_LEVEL, a format from LAB_LOG_FORMAT.
 * Nest calls it as `log(message, context)` and `error(message, stack, context)`.
 */
export class LabLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel,
    private readonly format: LogFormat,
    private readonly sink: Sink = stdSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  private write(asked: LogLevel, message: unknown, params: unknown[]): void {
    // Nest puts the context last; error() may put a stack before it.
    const context = params.length && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : 'kafka-lab';
    if (!shouldLog(asked, context, this.level)) return;
    const level = effectiveLevel(asked, context);
    const rest = params.length && typeof params[params.length - 1] === 'string' ? params.slice(0, -1) : params;
    let stack = level === 'error' && typeof rest[0] === 'string' && rest[0].includes('\n    at ') ? (rest[0] as string) : undefined;
    if (message instanceof Error) stack ??= message.stack;
    const text = message instanceof Error ? message.message : typeof message === 'string' ? message : inspect(message, { depth: 4, breakLength: Infinity });
    this.sink(formatLogLine({ time: this.now(), level, context, message: text, ...(stack ? { stack } : {}) }, this.format), level);
  }
}
