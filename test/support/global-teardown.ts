import * as fs from 'node:fs';
import * as path from 'node:path';
import { sharedLab, STATE_FILE } from './lab';
import { alive, kafkaPidsUnder, stopPid } from './lab-server';

/** Stops the shared server (which stops its Kafka nodes) and checks that nothing it started still runs. */
export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const lab = sharedLab();
  await stopPid(lab.pid, 90_000);
  const left = kafkaPidsUnder(lab.dataDir);
  for (const pid of left) {
    process.stderr.write(`% Kafka JVM ${pid} was still running after the server stopped; killing it.\n`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  fs.rmSync(STATE_FILE, { force: true });
  // Kafka's data of this run is of no use once it is over; the server log stays for a look.
  if (!process.env.KEEP_TEST_DATA) fs.rmSync(path.join(lab.dataDir), { recursive: true, force: true });
  if (alive(lab.pid)) throw new Error(`the lab server ${lab.pid} did not stop`);
  if (left.length) throw new Error(`${left.length} Kafka JVM(s) outlived the lab server: the server's shutdown leaks nodes`);
}
