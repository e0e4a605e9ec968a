import { DynamicModule, Module, Type } from '@nestjs/common';
import { ClassModule } from '../class/class.module';
import { TimelineModule } from '../timeline/timeline.module';
import { LabGateway } from './live.gateway';

/**
 * The live view of the lab: socket.io namespace /lab. It reads the timeline and the LiveBus
 * (TimelineModule) and signs sockets in with the ClassModule; what it knows of consumers and topics
 * comes only through CONSUMER_DIRECTORY and TOPIC_DIRECTORY, from the modules given here (the
 * ConsumersModule and TopicsModule; fakes in tests, where TOPIC_DIRECTORY may be left out).
 */
@Module({})
export class LiveModule {
  static register(...directories: Array<Type<unknown> | DynamicModule>): DynamicModule {
    return { module: LiveModule, imports: [ClassModule, TimelineModule, ...directories], providers: [LabGateway] };
  }
}
