import { Controller, Get } from '@nestjs/common';
import { Caller } from './auth.guard';
import { ClassSettingsService } from './class-settings.service';
import { Principal } from './principal';

/** GET /api/me: the caller; a student also learns whether the class lets students control the nodes. */
export type Me = Principal & { studentsMayControlBrokers?: boolean };

@Controller('me')
export class MeController {
  constructor(private readonly settings: ClassSettingsService) {}

  @Get()
  me(@Caller() who: Principal): Me {
    const me: Me = { id: who.id, name: who.name, role: who.role };
    // GET /api/class is the instructor's; this is how a student's page knows whether to show node
    // buttons (read at each call, so it follows a PATCH). The instructor's answer stays as it was.
    if (who.role === 'student') me.studentsMayControlBrokers = this.settings.get().studentsMayControlBrokers;
    return me;
  }
}
