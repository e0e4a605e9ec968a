import { DynamicModule, Module, Type } from '@nestjs/common';
import { ClassModule } from '../class/class.module';
import { TimelineModule } from '../timeline/timeline.module';
import { LabGateway } from './live.gateway';

/**
 * The live view of the lab: socket.io namespace /lab. It reads the timeline and the LiveBus
 * (TimelineModule) and signs sockets in with the ClassModule; what it knows of consumers comes only
 * through CONSUMER_DIRECTORY, from the module given here (the ConsumersModule; a fake in tests).
 */
@Module({})
export class LiveModule {
  static register(directory: Type<unknown> | DynamicModule): DynamicModule {
    return { module: LiveModule, imports: [ClassModule, TimelineModule, directory], providers: [LabGateway] };
  }
}
