import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Caller } from '../class/auth.guard';
import { Principal } from '../class/principal';
import { CreateTopicDto, DescribeTopicQuery, ListTopicsQuery } from './dto/create-topic.dto';
import { TopicsService } from './topics.service';

@Controller('topics')
export class TopicsController {
  constructor(private readonly topics: TopicsService) {}

  @Get()
  list(@Query() q: ListTopicsQuery, @Caller() who: Principal) {
    return this.topics.list(who, q.internal === 'true');
  }

  @Post()
  create(@Body() dto: CreateTopicDto, @Caller() who: Principal) {
    return this.topics.create(who, dto);
  }

  @Get(':name')
  async describe(@Param('name') name: string, @Query() q: DescribeTopicQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    if (q.format === undefined || q.format === 'json') return this.topics.describe(who, name);
    const text = await this.topics.describeText(who, name);
    // Only once the text exists: an error on the way is answered as JSON.
    res.type('text/plain');
    return text;
  }

  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name') name: string, @Caller() who: Principal): Promise<void> {
    await this.topics.delete(who, name);
  }

  @Post(':name/elect-leaders')
  @HttpCode(200)
  elect(@Param('name') name: string, @Caller() who: Principal) {
    return this.topics.electLeaders(who, name);
  }
}
