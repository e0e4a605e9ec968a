import { Global, Module } from '@nestjs/common';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { ClusterModule } from '../cluster/cluster.module';
import { locateKafka } from '../cluster/distribution/kafka-distribution';
import type { KafkaDistribution } from '../cluster/cluster.types';
import { CLIENT_HOST } from './client-host.types';
import { ClientHostService, DistributionSource, HOST_DISTRIBUTION, HOST_LAUNCHER, javaHostLauncher } from './client-host.service';

/** Locates Kafka once (the same cache the cluster uses); a failed look-up is tried again next time. */
function memoizedDistribution(config: LabConfig): DistributionSource {
  let found: Promise<KafkaDistribution> | null = null;
  return () => {
    if (!found) {
      found = locateKafka(config);
      found.catch(() => (found = null));
    }
    return found;
  };
}

/**
 * The client host (the JVM of Kafka's Java clients) under the CLIENT_HOST token. Global, so the
 * consumers module injects it without importing this module; it needs the cluster's BOOTSTRAP_SOURCE.
 */
@Global()
@Module({
  imports: [ClusterModule],
  providers: [
    { provide: HOST_DISTRIBUTION, useFactory: memoizedDistribution, inject: [LAB_CONFIG] },
    { provide: HOST_LAUNCHER, useValue: javaHostLauncher },
    ClientHostService,
    { provide: CLIENT_HOST, useExisting: ClientHostService },
  ],
  exports: [CLIENT_HOST, ClientHostService],
})
export class ClientHostModule {}
