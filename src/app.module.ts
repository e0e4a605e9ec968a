import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ClassModule } from './class/class.module';
import { ClassTlsModule } from './class-tls/class-tls.module';
import { KafkaAccessModule } from './class/kafka-access/kafka-access.module';
import { ClientHostModule } from './client-host/client-host.module';
import { RosterModule } from './class/roster.module';
import { ClusterModule } from './cluster/cluster.module';
import { ConsumersModule } from './consumers/consumers.module';
import { GradingModule } from './grading/grading.module';
import { KafkaModule } from './kafka/kafka.module';
import { LabsModule } from './labs/labs.module';
import { MessagesModule } from './messages/messages.module';
import { MetricsModule } from './metrics/metrics.module';
import { TopicsModule } from './topics/topics.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { ConfigModule } from './config/config.module';
import { LabConfig } from './config/lab-config';
import { LiveModule } from './live/live.module';
import { TimelineModule } from './timeline/timeline.module';

@Module({})
export class AppModule {
  static forRoot(config: LabConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), ClassModule, TimelineModule, ClusterModule, ClientHostModule, KafkaModule, TopicsModule, MessagesModule, ConsumersModule, RosterModule, KafkaAccessModule, GradingModule, LabsModule, LiveModule.register(ConsumersModule, TopicsModule), MetricsModule, ClassTlsModule],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
