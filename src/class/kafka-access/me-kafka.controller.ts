import { Controller, Get } from '@nestjs/common';
import { Caller } from '../auth.guard';
import { Principal } from '../principal';
import { KafkaAccessService } from './kafka-access.service';
import type { KafkaClientSettings } from './client-settings';

/** GET /api/me/kafka: the caller's settings for their own Kafka clients (404 while the class listener is off). */
@Controller('me')
export class MeKafkaController {
  constructor(private readonly access: KafkaAccessService) {}

  @Get('kafka')
  kafka(@Caller() who: Principal): KafkaClientSettings {
    return this.access.settingsFor(who);
  }
}
