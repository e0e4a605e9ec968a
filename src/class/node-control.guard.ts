import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { LabError } from '../common/lab-error';
import { ClassSettingsService } from './class-settings.service';
import { Principal } from './principal';

export const BROKER_CONTROL_REFUSAL =
  'Only the instructor controls the brokers in this class (the instructor can allow it: studentsMayControlBrokers).';

/**
 * Node actions (stop, kill, pause, resume, start): the instructor's, and the students' too while the
 * class setting studentsMayControlBrokers is on, read at each request so a PATCH applies to the next.
 * Runs after the global AuthGuard, which has put the caller on the request.
 */
@Injectable()
export class NodeControlGuard implements CanActivate {
  constructor(private readonly settings: ClassSettingsService) {}

  canActivate(ctx: ExecutionContext): boolean {
    const who = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>().principal;
    if (who?.role === 'instructor') return true;
    if (who?.role === 'student' && this.settings.get().studentsMayControlBrokers) return true;
    throw new LabError('FORBIDDEN', BROKER_CONTROL_REFUSAL);
  }
}

/** On a node route: the instructor, or students while the class allows them to control brokers. */
export const NodeControl = () => applyDecorators(UseGuards(NodeControlGuard));
