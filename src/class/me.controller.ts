import { Controller, Get } from '@nestjs/common';
import { Caller } from './auth.guard';
import { Principal } from './principal';

@Controller('me')
export class MeController {
  @Get()
  me(@Caller() who: Principal): Principal {
    return { id: who.id, name: who.name, role: who.role };
  }
}
