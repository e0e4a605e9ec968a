import { Body, Controller, Ip, Post } from '@nestjs/common';
import { Public } from './auth.guard';
import { JoinDto } from './dto/students.dto';
import { StudentsService } from './students.service';

@Controller('join')
export class JoinController {
  constructor(private readonly students: StudentsService) {}

  /** Anyone with the class's code becomes a student; the token is shown this once. */
  @Public()
  @Post()
  join(@Body() dto: JoinDto, @Ip() address: string) {
    return this.students.join(dto.code, dto.name, address);
  }
}
