import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { HostedAckResult } from '../client-host/client-host.types';
import { Caller } from '../class/auth.guard';
import { Principal } from '../class/principal';
import type { LabMessage } from '../timeline/live-bus';
import { ConsumerView } from './consumer.types';
import { ConsumersService } from './consumers.service';
import { parseAcknowledgeBody } from './dto/acknowledge-request';
import { CreateConsumerDto } from './dto/create-consumer.dto';
import { MessagesQueryDto } from './dto/messages-query.dto';

@Controller('consumers')
export class ConsumersController {
  constructor(private readonly consumers: ConsumersService) {}

  /** Starts a consumer; answers once it has joined its group (or at a deadline, still joining). */
  @Post()
  create(@Caller() who: Principal, @Body() body: CreateConsumerDto): Promise<ConsumerView> {
    return this.consumers.create(who, body);
  }

  @Get()
  list(@Caller() who: Principal): ConsumerView[] {
    return this.consumers.list(who);
  }

  @Get(':id')
  get(@Caller() who: Principal, @Param('id') id: string): ConsumerView {
    return this.consumers.get(who, id);
  }

  @Get(':id/messages')
  messages(@Caller() who: Principal, @Param('id') id: string, @Query() q: MessagesQueryDto): { messages: LabMessage[]; next: number } {
    return this.consumers.messages(who, id, q.after, q.limit);
  }

  /** Ctrl-C: leaves the group cleanly, so the group rebalances at once. */
  @Post(':id/stop')
  @HttpCode(200)
  stop(@Caller() who: Principal, @Param('id') id: string): Promise<ConsumerView> {
    return this.consumers.stop(who, id);
  }

  /** A crash: no LeaveGroup, the group notices at the session timeout. */
  @Post(':id/kill')
  @HttpCode(200)
  kill(@Caller() who: Principal, @Param('id') id: string): Promise<ConsumerView> {
    return this.consumers.kill(who, id);
  }

  /** Manual share consumers: accept, release or reject records they hold. */
  @Post(':id/acknowledge')
  @HttpCode(200)
  acknowledge(@Caller() who: Principal, @Param('id') id: string, @Body() body: unknown): Promise<{ results: HostedAckResult[] }> {
    return this.consumers.acknowledge(who, id, parseAcknowledgeBody(body));
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Caller() who: Principal, @Param('id') id: string): Promise<void> {
    return this.consumers.remove(who, id);
  }
}
