import { Controller, Get } from '@nestjs/common';
import { Public } from '../class/auth.guard';
import { ClusterService } from './cluster.service';

@Controller('health')
export class HealthController {
  constructor(private readonly cluster: ClusterService) {}

  @Get()
  @Public()
  health() {
    return { status: 'ok', cluster: this.cluster.view() };
  }
}
