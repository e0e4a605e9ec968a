import { Body, Controller, Get, Patch } from '@nestjs/common';
import { Caller, Roles } from './auth.guard';
import { ClassSettingsService } from './class-settings.service';
import { ClassSettingsPatchDto } from './dto/class-settings.dto';
import { Principal } from './principal';

@Controller('class')
@Roles('instructor')
export class ClassController {
  constructor(private readonly settings: ClassSettingsService) {}

  @Get()
  get() {
    return this.settings.get();
  }

  @Patch()
  update(@Body() patch: ClassSettingsPatchDto, @Caller() who: Principal) {
    return this.settings.update(patch, who.id);
  }
}
