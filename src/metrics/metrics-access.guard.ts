import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthService } from '../class/auth.service';
import { LabError } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';

/**
 * GET /metrics: the instructor's token, or nobody's with LAB_METRICS_PUBLIC=true (a Prometheus that
 * holds no token). The route is @Public for the global AuthGuard, which knows nothing of the setting;
 * the same answers as that guard's (401 without a known token, 403 for a student) come from here.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(@Inject(LAB_CONFIG) private readonly config: LabConfig, private readonly auth: AuthService) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (this.config.metricsPublic) return true;
    const header = ctx.switchToHttp().getRequest<Request>().headers.authorization;
    if (!header) throw new LabError('UNAUTHENTICATED', 'GET /metrics needs the instructor\'s token: send "Authorization: Bearer <token>" (or start the server with LAB_METRICS_PUBLIC=true).');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new LabError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".');
    const principal = this.auth.verify(m[1]);
    if (!principal) throw new LabError('UNAUTHENTICATED', this.auth.refusal(m[1]));
    if (principal.role !== 'instructor') throw new LabError('FORBIDDEN', 'Only the instructor may do this.');
    return true;
  }
}
