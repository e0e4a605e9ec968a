import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { ClassSettingsService } from './class-settings.service';
import { MeController } from './me.controller';
import { QuotaService } from './quotas';

/** Who is calling (the instructor token, student sign-ins, the guard every HTTP route passes) and the class settings; global, since every concern asks. */
@Global()
@Module({
  controllers: [MeController],
  providers: [AuthService, ClassSettingsService, QuotaService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, ClassSettingsService, QuotaService],
})
export class ClassModule {}
