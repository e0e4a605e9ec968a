import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Caller } from '../class/auth.guard';
import { Principal } from '../class/principal';
import { MessagesService } from './messages.service';
import { parseProduceBody } from './produce-request';

@Controller('topics/:name/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** JSON (one message or a batch) or text/plain lines; the body is read by hand so both shapes fit. */
  @Post()
  @HttpCode(201)
  produce(@Param('name') name: string, @Req() req: Request, @Caller() who: Principal) {
    return this.messages.produce(who, name, parseProduceBody(req.body, req.headers['content-type']));
  }
}
