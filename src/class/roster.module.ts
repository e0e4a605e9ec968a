import { Module } from '@nestjs/common';
import { ConsumersModule } from '../consumers/consumers.module';
import { TimelineModule } from '../timeline/timeline.module';
import { TopicsModule } from '../topics/topics.module';
import { RosterService } from './roster.service';
import { StudentsController } from './students.controller';

/**
 * The instructor's roster routes (/api/students). Apart from ClassModule because a removal reaches into
 * consumers and topics, which themselves depend on the global ClassModule.
 */
@Module({
  imports: [ConsumersModule, TopicsModule, TimelineModule],
  controllers: [StudentsController],
  providers: [RosterService],
  // Grading reads the roster (and tells it the checkpoints).
  exports: [RosterService],
})
export class RosterModule {}
