import { Global, Module } from '@nestjs/common';
import { LiveBus } from './live-bus';
import { TimelineService } from './timeline.service';

@Global()
@Module({
  providers: [LiveBus, TimelineService],
  exports: [LiveBus, TimelineService],
})
export class TimelineModule {}
