import { Module } from '@nestjs/common';
import { ClusterModule } from '../../cluster/cluster.module';
import { KafkaModule } from '../../kafka/kafka.module';
import { TimelineModule } from '../../timeline/timeline.module';
import { KafkaAccessService } from './kafka-access.service';
import { MeKafkaController } from './me-kafka.controller';

/**
 * Students' own Kafka clients on the class listener: their SCRAM users and ACLs, and GET /api/me/kafka.
 * Apart from the global ClassModule because it needs the kafka module; it hooks itself into the
 * roster (StudentsService.useKafkaAccess) instead of the roster importing it.
 */
@Module({
  imports: [ClusterModule, KafkaModule, TimelineModule],
  controllers: [MeKafkaController],
  providers: [KafkaAccessService],
  exports: [KafkaAccessService],
})
export class KafkaAccessModule {}
