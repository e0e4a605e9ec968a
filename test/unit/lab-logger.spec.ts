// The start a person can read: the log line format (text and JSON), levels, Nest's route mapping only
// at debug, and the stage lines of logging/boot-report.ts.
import { Logger } from '@nestjs/common';
import type { ClusterView, NodeView } from '../../src/cluster/cluster.types';
import { loadConfig } from '../../src/config/lab-config';
import { BootReport, configurationSummary, nodeLine } from '../../src/logging/boot-report';
import { formatLogLine, LabLogger, shouldLog } from '../../src/logging/lab-logger';

const at = new Date('2026-12-02T02:01:11.123Z');

function capture(level: 'error' | 'warn' | 'info' | 'debug', format: 'text' | 'json') {
  const lines: Array<{ line: string; level: string }> = [];
  const logger = new LabLogger(level, format, (line, l) => lines.push({ line, level: l }), () => at);
  return { logger, lines };
}

describe('log lines', () => {
  it('text: time, level, context, message', () => {
    expect(formatLogLine({ time: at, level: 'info', context: 'Cluster', message: 'Broker 0 is up at 127.0.0.1:9092.' }, 'text'))
      .toBe('2026-12-02T02:01:11.123Z INFO  [Cluster] Broker 0 is up at 127.0.0.1:9092.');
    expect(formatLogLine({ time: at, level: 'error', context: 'HTTP', message: 'boom', stack: 'Error: boom\n    at x' }, 'text'))
      .toBe('2026-12-02T02:01:11.123Z ERROR [HTTP] boom\nError: boom\n    at x');
  });

  it('json: one object per line with time, level, context, message (and stack for errors)', () => {
    const line = formatLogLine({ time: at, level: 'warn', context: 'Cluster', message: 'Broker 1 crashed.\nsee "log"' }, 'json');
    expect(line.includes('\n')).toBe(false);
    expect(JSON.parse(line)).toEqual({ time: '2026-12-02T02:01:11.123Z', level: 'warn', context: 'Cluster', message: 'Broker 1 crashed.\nsee "log"' });
    const err = JSON.parse(formatLogLine({ time: at, level: 'error', context: 'HTTP', message: 'boom', stack: 'Error: boom\n    at x' }, 'json'));
    expect(err.stack).toBe('Error: boom\n    at x');
  });

  it("levels: info hides debug; Nest's route mapping and module loading show at debug only", () => {
    expect(shouldLog('info', 'Cluster', 'info')).toBe(true);
    expect(shouldLog('debug', 'Cluster', 'info')).toBe(false);
    expect(shouldLog('info', 'RouterExplorer', 'info')).toBe(false);
    expect(shouldLog('info', 'RoutesResolver', 'info')).toBe(false);
    expect(shouldLog('info', 'InstanceLoader', 'info')).toBe(false);
    expect(shouldLog('info', 'RouterExplorer', 'debug')).toBe(true);
    expect(shouldLog('warn', 'Cluster', 'error')).toBe(false);
    expect(shouldLog('error', 'Cluster', 'error')).toBe(true);
  });

  it('LabLogger takes Nest\'s call shapes: (message, context) and (message, stack, context)', () => {
    const { logger, lines } = capture('info', 'json');
    logger.log('Mapped {/api/me, GET} route', 'RouterExplorer');
    logger.log('Kafka 3.9.2 from cache', 'Cluster');
    logger.error('A subscription failed', 'Error: x\n    at y (z.js:1:1)', 'LabGateway');
    logger.warn({ some: 'object' }, 'Thing');
    logger.debug('hidden', 'Cluster');
    expect(lines.map((l) => JSON.parse(l.line))).toEqual([
      { time: at.toISOString(), level: 'info', context: 'Cluster', message: 'Kafka 3.9.2 from cache' },
      { time: at.toISOString(), level: 'error', context: 'LabGateway', message: 'A subscription failed', stack: 'Error: x\n    at y (z.js:1:1)' },
      { time: at.toISOString(), level: 'warn', context: 'Thing', message: "{ some: 'object' }" },
    ]);
    expect(lines.map((l) => l.level)).toEqual(['info', 'error', 'warn']);
  });

  it('at debug the route mapping is shown', () => {
    const { logger, lines } = capture('debug', 'text');
    logger.log('Mapped {/api/me, GET} route', 'RouterExplorer');
    expect(lines[0].line).toBe('2026-12-02T02:01:11.123Z DEBUG [RouterExplorer] Mapped {/api/me, GET} route');
  });
});

const node = (role: 'broker' | 'controller', id: number, state: NodeView['state']): NodeView =>
  ({ id, role, state, host: '127.0.0.1', port: role === 'broker' ? 9092 + id : 9112, since: at.toISOString() });
const view = (state: ClusterView['state'], brokers: NodeView[], controllers: NodeView[]): ClusterView =>
  ({ state, driver: 'process', kafkaVersion: '3.9.2', clusterId: 'x', brokers, controllers, bootstrapServers: brokers.map((b) => `127.0.0.1:${b.port}`).join(',') });

describe('the stages of a start', () => {
  it('the configuration in one line', () => {
    const c = loadConfig({ LAB_DATA_DIR: '/data/lab', LAB_BROKERS: '3' });
    expect(configurationSummary(c)).toBe('Starting kafka-lab: 3 brokers and 1 controller run by the process driver (Kafka 4.4.0, ports from 9092), started now; data in /data/lab; log level info.');
    const ext = loadConfig({ LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: '10.0.0.1:9092', LAB_DATA_DIR: '/d', LAB_LOG_LEVEL: 'debug' });
    expect(configurationSummary(ext)).toBe('Starting kafka-lab: the existing cluster at 10.0.0.1:9092; data in /d; log level debug.');
  });

  it('a node line per change; nothing while starting, nor for a node first seen down', () => {
    expect(nodeLine(node('broker', 0, 'starting'), 'stopped')).toBeNull();
    expect(nodeLine(node('broker', 0, 'stopped'), undefined)).toBeNull();
    expect(nodeLine(node('broker', 0, 'running'), 'starting')).toBe('Broker 0 is up at 127.0.0.1:9092.');
    expect(nodeLine(node('controller', 100, 'running'), undefined)).toBe('Controller 100 is up at 127.0.0.1:9112.');
    expect(nodeLine(node('broker', 1, 'running'), 'paused')).toBe('Broker 1 runs again.');
    expect(nodeLine(node('broker', 1, 'killed'), 'running')).toBe('Broker 1 is killed.');
    expect(nodeLine(node('broker', 1, 'running'), 'running')).toBeNull();
  });

  it('each node up, the cluster running, then the address and where the token is, once', () => {
    const lines: string[] = [];
    Logger.overrideLogger(new LabLogger('info', 'text', (l) => lines.push(l.slice(25)), () => at));
    try {
      const report = new BootReport(loadConfig({ LAB_DATA_DIR: '/data/lab' }));
      report.onCluster(view('starting', [node('broker', 0, 'stopped')], [node('controller', 100, 'starting')]));
      report.listening('http://[::1]:8080');
      report.onCluster(view('starting', [node('broker', 0, 'starting')], [node('controller', 100, 'running')]));
      report.onCluster(view('running', [node('broker', 0, 'running')], [node('controller', 100, 'running')]));
      report.onCluster(view('running', [node('broker', 0, 'running')], [node('controller', 100, 'running')]));
      report.onCluster(view('degraded', [node('broker', 0, 'crashed')], [node('controller', 100, 'running')]));
      expect(lines).toEqual([
        'INFO  [kafka-lab] The API listens on http://127.0.0.1:8080; the cluster is starting.',
        'INFO  [Cluster] Controller 100 is up at 127.0.0.1:9112.',
        'INFO  [Cluster] Broker 0 is up at 127.0.0.1:9092.',
        'INFO  [Cluster] The cluster is running: bootstrap servers 127.0.0.1:9092.',
        'INFO  [kafka-lab] Ready: open http://127.0.0.1:8080/ in a browser (the API is under http://127.0.0.1:8080/api); the instructor token is in /data/lab/instructor-token.',
        'WARN  [Cluster] Broker 0 crashed.',
        'INFO  [Cluster] The cluster is degraded.',
      ]);
    } finally {
      Logger.overrideLogger(true);
    }
  });
});
