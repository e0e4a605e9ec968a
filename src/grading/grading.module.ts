import { Module } from '@nestjs/common';
import { RosterModule } from '../class/roster.module';
import { TimelineModule } from '../timeline/timeline.module';
import { GradingEngine } from './engine/grading-engine';
import { GradingController } from './grading.controller';
import { GRADER_FACTORY, GraderFactory, GradingService } from './grading.service';

/**
 * Grading (GET /api/grading): the engine (src/grading/engine, pure) folds the timeline into
 * checkpoints; the service feeds it, announces passes and answers. The engine comes through a factory
 * so the service's tests can give it a grader of their own.
 */
@Module({
  imports: [TimelineModule, RosterModule],
  controllers: [GradingController],
  providers: [GradingService, { provide: GRADER_FACTORY, useValue: (() => new GradingEngine()) satisfies GraderFactory }],
  exports: [GradingService],
})
export class GradingModule {}
