import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { Public } from '../class/auth.guard';
import { METRICS_CONTENT_TYPE } from './lab-metrics';
import { MetricsAccessGuard } from './metrics-access.guard';
import { MetricsService } from './metrics.service';

/** Prometheus's scrape target, outside /api (app.factory.ts excludes it from the prefix). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Public()
  @UseGuards(MetricsAccessGuard)
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.text();
  }
}
