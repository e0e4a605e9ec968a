import { Body, Controller, Get, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Caller, Roles } from '../class/auth.guard';
import { NodeControl } from '../class/node-control.guard';
import { Principal } from '../class/principal';
import { badInput } from '../common/lab-error';
import { ClusterService } from './cluster.service';
import { ClusterView } from './cluster.types';
import type { NodeActionName } from './node-actions';
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

  // One line per action: NODE_ACTIONS (node-actions.ts) says what each does and when it is refused.
  // Students may act on nodes only while the class allows it (studentsMayControlBrokers).
  @Post('nodes/:id/stop')
  @NodeControl()
  stopNode(@Param('id', nodeId) id: number, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return this.act('stop', id, q, who, res);
  }

  @Post('nodes/:id/kill')
  @NodeControl()
  killNode(@Param('id', nodeId) id: number, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return this.act('kill', id, q, who, res);
  }

  @Post('nodes/:id/pause')
  @NodeControl()
  pauseNode(@Param('id', nodeId) id: number, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return this.act('pause', id, q, who, res);
  }

  @Post('nodes/:id/resume')
  @NodeControl()
  resumeNode(@Param('id', nodeId) id: number, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return this.act('resume', id, q, who, res);
  }

  @Post('nodes/:id/start')
  @NodeControl()
  startNode(@Param('id', nodeId) id: number, @Query() q: WaitQuery, @Caller() who: Principal, @Res({ passthrough: true }) res: Response) {
    return this.act('start', id, q, who, res);
  }

  private async act(action: NodeActionName, id: number, q: WaitQuery, who: Principal, res: Response) {
    return answer(res, q.wait, await this.cluster.nodeAction(action, id, who.id, q.wait !== false));
  }
}
