import { Controller, Get, OnModuleDestroy, Query } from '@nestjs/common';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Roles } from '../class/auth.guard';
import { badInput } from '../common/lab-error';

/**
 * How the service itself is doing: memory and event-loop delay (one event loop carries every consumer's
 * heartbeats, so its delay is the number that matters under load). For benchmarks and the instructor.
 */
@Controller('runtime')
export class RuntimeController implements OnModuleDestroy {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.loop.enable();
  }

  @Get()
  @Roles('instructor')
  get(@Query('reset') reset?: string) {
    if (reset !== undefined && reset !== 'true' && reset !== 'false') throw badInput(`reset must be true or false, not "${reset}".`);
    const mem = process.memoryUsage();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const body = {
      uptimeSeconds: Math.round(process.uptime()),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      eventLoopDelayMs: { p50: ms(this.loop.percentile(50)), p99: ms(this.loop.percentile(99)), max: ms(this.loop.max) },
    };
    if (reset === 'true') this.loop.reset();
    return body;
  }

  onModuleDestroy(): void {
    this.loop.disable();
  }
}
