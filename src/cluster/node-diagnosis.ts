import * as fs from 'node:fs';
import * as net from 'node:net';

/**
 * Why a node cannot start or why it ended, as sentences for a node's `reason`: a port another program
 * holds (checked before spawning, since Kafka would only say so in its log), and Kafka's own last
 * ERROR/FATAL line from the part of its log written by this run of it.
 */

/** Resolves true when host:port can be listened on now (nobody else holds it). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export const portInUse = (port: number) => `port ${port} is in use by another program`;

/** Bytes in the file now (0 when missing): where this run's part of a log starts. */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** log4j's "[time] LEVEL message (logger)" layout (server-properties.ts renderLog4jProperties). */
const LOG_LINE = /^\[[^\]]+\] (ERROR|FATAL) (.*?)(?: \([\w.$]+\))?$/;
const TAIL_BYTES = 256 * 1024;

/**
 * The message of the last ERROR or FATAL line written to `logFile` after byte `from`, or null.
 * Kafka says why it gave up in such a line (e.g. "Exiting Kafka due to fatal exception during startup.")
 * and often the line before it is the real cause; the one that is not a generic "Exiting" wins.
 */
export function lastFatalLine(logFile: string, from = 0): string | null {
  const text = readTail(logFile, from);
  const found = text.split('\n').map((l) => LOG_LINE.exec(l.trimEnd())).filter((m): m is RegExpExecArray => m !== null).map((m) => m[2].trim());
  if (found.length === 0) return null;
  const specific = found.filter((m) => !/^Exiting Kafka/i.test(m));
  const line = (specific.length ? specific[specific.length - 1] : found[found.length - 1]).replace(/[.\s]+$/, '');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** What this run wrote to `logFile` after byte `from` (at most the last 256 KiB), or '' when unreadable. */
export function readTail(logFile: string, from: number): string {
  let text = '';
  try {
    const size = fs.statSync(logFile).size;
    const start = Math.max(from, size - TAIL_BYTES);
    if (size <= start) return '';
    const fd = fs.openSync(logFile, 'r');
    try {
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  return text;
}

/**
 * The port this run of the node could not bind because another program took it (after our check and
 * before the JVM's bind), or null. Kafka logs it as an exception line under a generic ERROR, so
 * lastFatalLine would lose it.
 */
export function bindFailure(logFile: string, from = 0): number | null {
  const m = /failed to bind to [^\s]*:(\d+):? Address already in use/i.exec(readTail(logFile, from));
  return m ? Number(m[1]) : null;
}

/** A sentence for an exit nobody asked for: code or signal, and Kafka's own last error if it wrote one. */
export function exitReason(code: number | null, signal: string | null, fatal: string | null): string {
  const how = signal ? `ended by signal ${signal} (not by the lab server)` : `exited with code ${code}`;
  return fatal ? `it ${how}; its log says: ${fatal}` : `it ${how}`;
}
