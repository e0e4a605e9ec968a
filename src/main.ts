import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, LabConfig, loadConfig } from './config/lab-config';
import { BootReport, configurationSummary } from './logging/boot-report';
import { LabLogger } from './logging/lab-logger';
import { LiveBus } from './timeline/live-bus';

async function main(): Promise<void> {
  let config: LabConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`kafka-lab cannot start: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  // Every logger (Nest's and ours) writes through this one from here on.
  Logger.overrideLogger(new LabLogger(config.logLevel, config.logFormat));
  new Logger('kafka-lab').log(configurationSummary(config));
  const app = await createApp(config);
  const report = new BootReport(config);
  app.get(LiveBus).on('cluster', (view) => report.onCluster(view));
  await app.listen(config.port, config.host);
  report.listening(await app.getUrl());
}

main().catch((e) => {
  process.stderr.write(`kafka-lab cannot start: ${e?.message ?? e}\n`);
  process.exit(1);
});
