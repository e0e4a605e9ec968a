import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, freePortBase } from './free-ports';
import { SharedLab, STATE_FILE } from './lab';
import { ROOT, startLabServer } from './lab-server';

/**
 * ONE lab server with ONE real Kafka cluster (1 controller + 3 brokers) for the whole e2e run; every
 * e2e file talks to it through test/support/lab.ts. Stopped by global-teardown.ts.
 */
export default async function globalSetup(): Promise<void> {
  const runDir = path.join(ROOT, '.test-data', `run-${Date.now()}`);
  fs.mkdirSync(runDir, { recursive: true });
  // The 40-port block holds the brokers, the controllers and the class listener (base+30+i): all checked free.
  const [port, portBase] = await Promise.all([freePort(), freePortBase()]);
  const token = 'test-instructor-token-' + Math.random().toString(36).slice(2);
  const consumerSessionTimeoutMs = 6000;
  const started = Date.now();
  const server = await startLabServer(
    {
      PORT: String(port),
      LAB_DATA_DIR: path.join(runDir, 'lab'),
      LAB_KAFKA_PORT_BASE: String(portBase),
      LAB_INSTRUCTOR_TOKEN: token,
      LAB_BROKERS: '3',
      LAB_CONTROLLERS: '1',
      LAB_CONSUMER_SESSION_TIMEOUT_MS: String(consumerSessionTimeoutMs),
      // The class listener (SASL/SCRAM, ACLs) on: every e2e shows the server's own clients unaffected by it.
      LAB_KAFKA_PUBLIC_HOST: '127.0.0.1',
    },
    { logFile: path.join(runDir, 'server.log'), timeoutMs: 600_000 },
  );
  const health = (await (await fetch(`${server.url}/api/health`)).json()) as { cluster: { bootstrapServers: string } };
  const lab: SharedLab = {
    url: server.url,
    token,
    bootstrap: health.cluster.bootstrapServers.split(','),
    dataDir: path.join(runDir, 'lab'),
    portBase,
    pid: server.pid,
    consumerSessionTimeoutMs,
  };
  fs.writeFileSync(STATE_FILE, JSON.stringify(lab, null, 2));
  process.env.KAFKA_LAB_SHARED_STATE = STATE_FILE;
  process.stdout.write(`\n% shared lab server ${server.url} (pid ${server.pid}), Kafka at ${lab.bootstrap.join(',')}, ready in ${Math.round((Date.now() - started) / 1000)} s; log ${server.logFile}\n`);
}
