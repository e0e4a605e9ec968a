import { Module } from '@nestjs/common';
import { GradingModule } from '../grading/grading.module';
import { LabsController } from './labs.controller';
import { LabsService } from './labs.service';

/** The guided labs (GET /api/labs), each step ticked from the caller's checkpoints (grading). */
@Module({
  imports: [GradingModule],
  controllers: [LabsController],
  providers: [LabsService],
})
export class LabsModule {}
