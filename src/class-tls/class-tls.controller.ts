import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../class/auth.guard';
import { ClassTlsService } from './class-tls.service';

/** GET /api/class/ca.pem: no token, so a student can fetch it with curl before anything else. */
@Controller('class/ca.pem')
export class ClassTlsController {
  constructor(private readonly tls: ClassTlsService) {}

  @Get()
  @Public()
  async caPem(@Res({ passthrough: true }) res: Response): Promise<string> {
    const pem = await this.tls.caPem();
    // Set here, not by @Header: a 404 must stay a JSON sentence, not a download named ca.pem.
    res.setHeader('Content-Type', 'application/x-pem-file');
    res.setHeader('Content-Disposition', 'attachment; filename="ca.pem"');
    return pem;
  }
}
