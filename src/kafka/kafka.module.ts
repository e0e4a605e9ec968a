import { Global, Module } from '@nestjs/common';
import { KafkaService } from './kafka.service';

/** Imports the cluster module's BOOTSTRAP_SOURCE (see ClusterModule). */
@Global()
@Module({
  providers: [KafkaService],
  exports: [KafkaService],
})
export class KafkaModule {}
