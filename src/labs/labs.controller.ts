import { Controller, Get, Param } from '@nestjs/common';
import { Caller } from '../class/auth.guard';
import { Principal } from '../class/principal';
import { LabsService } from './labs.service';

@Controller('labs')
export class LabsController {
  constructor(private readonly labs: LabsService) {}

  @Get()
  list(@Caller() who: Principal) {
    return this.labs.list(who);
  }

  @Get(':id')
  one(@Param('id') id: string, @Caller() who: Principal) {
    return this.labs.one(who, id);
  }
}
