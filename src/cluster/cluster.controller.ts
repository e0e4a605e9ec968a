import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Caller, Roles } from '../class/auth.guard';
import { Principal } from '../class/principal';
import { badInput } from '../common/lab-error';
import { ClusterService } from './cluster.service';
import { ClusterView } from './cluster.types';
import { EmptyDto, StartClusterDto, WaitQuery } from './dto/cluster.dto';

const nodeId = new ParseIntPipe({ exceptionFactory: () => badInput('A node id is a whole number, e.g. 0 for the first broker or 100 for the first controller.') });

/** 200 when done; 202 when the caller asked not to wait. */
function answer(res: Response, wait: boolean | undefined, body: unknown): unknown {
  res.status(wait === false ? 202 : 200);
  return body;
}

@Controller('cluster')
export class ClusterController {
  constructor(private readonly cluster: ClusterService) {}

  @Get()
  get(): ClusterView {
    return this.cluster.view();
  }

  @Post('start')
  @Roles('instructor')
  async start(@Body() dto: StartClusterDto, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return answer(res, q.wait, await this.cluster.start({ ...dto, actor: who.id, wait: q.wait !== false }));
  }

  @Post('stop')
  @Roles('instructor')
  async stop(@Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return answer(res, q.wait, await this.cluster.stop(who.id, q.wait !== false));
  }

  @Post('reset')
  @Roles('instructor')
  async reset(@Body() dto: StartClusterDto, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return answer(res, q.wait, await this.cluster.reset({ ...dto, actor: who.id, wait: q.wait !== false }));
  }

  @Post('brokers')
  @Roles('instructor')
  async addBroker(@Body() _dto: EmptyDto, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    const r = await this.cluster.addBroker(who.id, q.wait !== false);
    res.status(q.wait === false ? 202 : 201);
    return r;
  }

  @Post('nodes/:id/stop')
  @HttpCode(200)
  @Roles('instructor')
  stopNode(@Param('id', nodeId) id: number, @Caller() who: Principal) {
    return this.cluster.stopNode(id, who.id);
  }

  @Post('nodes/:id/kill')
  @HttpCode(200)
  @Roles('instructor')
  killNode(@Param('id', nodeId) id: number, @Caller() who: Principal) {
    return this.cluster.killNode(id, who.id);
  }

  @Post('nodes/:id/pause')
  @HttpCode(200)
  @Roles('instructor')
  pauseNode(@Param('id', nodeId) id: number, @Caller() who: Principal) {
    return this.cluster.pauseNode(id, who.id);
  }

  @Post('nodes/:id/resume')
  @HttpCode(200)
  @Roles('instructor')
  resumeNode(@Param('id', nodeId) id: number, @Caller() who: Principal) {
    return this.cluster.resumeNode(id, who.id);
  }

  @Post('nodes/:id/start')
  @Roles('instructor')
  async startNode(@Param('id', nodeId) id: number, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return answer(res, q.wait, await this.cluster.startNode(id, who.id, q.wait !== false));
  }
}
