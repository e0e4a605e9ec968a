import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { LabConfig } from '../../config/lab-config';
import type { ClusterDriver } from './cluster-driver';
import { ExternalDriver } from './external.driver';
import { ProcessDriver } from './process.driver';

/** The one switch over LAB_DRIVER (validated at boot, so every value is known here). */
export function createDriver(config: LabConfig): ClusterDriver {
  const nodesRoot = path.join(config.dataDir, 'cluster', 'nodes');
  switch (config.driver) {
    case 'process':
      return new ProcessDriver(config, nodesRoot);
    case 'docker': {
      // Loaded lazily so the process driver never needs dockerode's native parts.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { DockerDriver } = require('./docker.driver') as typeof import('./docker.driver');
      return new DockerDriver(config, ownerLabel(config.dataDir));
    }
    case 'external':
      return new ExternalDriver(config.externalBootstrap);
  }
}

/** Containers are labelled with a hash of the data dir: two servers never touch each other's. */
export function ownerLabel(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
}
