import 'reflect-metadata';
import { createApp, bootLog } from './app.factory';
import { ConfigError, loadConfig } from './config/lab-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`kafka-lab cannot start: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  bootLog.log(`kafka-lab listens on ${url.replace('[::1]', '127.0.0.1')} (driver ${config.driver}, data in ${config.dataDir})`);
}

main().catch((e) => {
  process.stderr.write(`kafka-lab cannot start: ${e?.message ?? e}\n`);
  process.exit(1);
});
