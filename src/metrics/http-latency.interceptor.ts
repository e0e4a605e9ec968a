import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';
import { MetricsService } from './metrics.service';

/**
 * Times every answer of a route handler, from the handler's call to the last byte written (so the
 * exception filter's error answers count too), labelled with the route's template, never the path
 * itself (a topic name in a label would make a series per topic). Refusals of the guards come before
 * interceptors and are not timed.
 */
@Injectable()
export class HttpLatencyInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const started = process.hrtime.bigint();
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    res.once('finish', () => {
      const route = typeof req.route?.path === 'string' ? req.route.path : 'unknown';
      this.metrics.metrics.observeHttp(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    return next.handle();
  }
}
