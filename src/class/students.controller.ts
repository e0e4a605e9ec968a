import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Caller, Roles } from './auth.guard';
import { AddStudentsDto, RemoveStudentQuery } from './dto/students.dto';
import { Principal } from './principal';
import { RosterService } from './roster.service';
import { StudentsService } from './students.service';

@Controller('students')
@Roles('instructor')
export class StudentsController {
  constructor(private readonly students: StudentsService, private readonly roster: RosterService) {}

  /** `{ name }` answers one student, `{ names }` a list; the tokens are shown this once. */
  @Post()
  add(@Body() dto: AddStudentsDto, @Caller() who: Principal) {
    return this.students.addFromBody(dto, who.id);
  }

  @Get()
  list() {
    return this.roster.list();
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Query() q: RemoveStudentQuery, @Caller() who: Principal): Promise<void> {
    await this.roster.remove(id, q.purge === 'true', who.id);
  }

  @Post(':id/token')
  reissue(@Param('id') id: string, @Caller() who: Principal) {
    return this.students.reissue(id, who.id);
  }
}
