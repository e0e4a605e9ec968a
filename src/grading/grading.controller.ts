import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Caller, Roles } from '../class/auth.guard';
import { Principal } from '../class/principal';
import { GradingQuery } from './dto/grading-query.dto';
import { GradingService } from './grading.service';

@Controller('grading')
export class GradingController {
  constructor(private readonly grading: GradingService) {}

  @Get()
  @Roles('instructor')
  async list(@Query() q: GradingQuery, @Res({ passthrough: true }) res: Response) {
    if (q.format !== 'csv') return this.grading.reports();
    const csv = await this.grading.csv();
    // Only once the table exists: an error on the way is answered as JSON.
    res.type('text/csv; charset=utf-8');
    return csv;
  }

  @Get(':studentId')
  one(@Param('studentId') studentId: string, @Caller() who: Principal) {
    return this.grading.report(who, studentId);
  }
}
