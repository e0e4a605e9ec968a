import { Controller, Get, Param } from '@nestjs/common';
import { Caller } from '../class/auth.guard';
import { Principal } from '../class/principal';
import { GroupSummary, GroupView } from './consumer.types';
import { GroupsService } from './groups.service';

@Controller('groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  list(@Caller() who: Principal): Promise<GroupSummary[]> {
    return this.groups.list(who);
  }

  @Get(':groupId')
  describe(@Caller() who: Principal, @Param('groupId') groupId: string): Promise<GroupView> {
    return this.groups.describe(who, groupId);
  }
}
