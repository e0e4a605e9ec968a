import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TimelineModule } from '../timeline/timeline.module';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { ClassController } from './class.controller';
import { ClassSettingsService } from './class-settings.service';
import { JoinController } from './join.controller';
import { MeController } from './me.controller';
import { QuotaService } from './quotas';
import { RosterStore } from './roster.store';
import { StudentsService } from './students.service';

/**
 * Who is calling (the instructor token, students' tokens, the guard every HTTP route passes), who is in
 * the class (the roster, joining) and the class settings; global, since every concern asks. What a
 * removal does to consumers and topics is RosterModule's (it imports those concerns; this cannot).
 */
@Global()
@Module({
  imports: [TimelineModule],
  controllers: [MeController, JoinController, ClassController],
  providers: [RosterStore, AuthService, ClassSettingsService, StudentsService, QuotaService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, ClassSettingsService, StudentsService, QuotaService],
})
export class ClassModule {}
