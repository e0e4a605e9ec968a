import { Module } from '@nestjs/common';
import { ClassTlsController } from './class-tls.controller';
import { ClassTlsService } from './class-tls.service';

/** TLS of the class listener: the CA students download (the brokers' keystore is made by the cluster's launcher). */
@Module({
  controllers: [ClassTlsController],
  providers: [ClassTlsService],
})
export class ClassTlsModule {}
