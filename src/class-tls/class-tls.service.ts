import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/lab-error';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { ensureCa } from './class-tls';

/** The class listener's CA certificate for students' clients (made on first ask, kept after). */
@Injectable()
export class ClassTlsService {
  constructor(@Inject(LAB_CONFIG) private readonly config: LabConfig) {}

  async caPem(): Promise<string> {
    const cls = this.config.classListener;
    if (!cls) {
      throw notFound('The class listener is off on this server, so there is no CA certificate: the instructor turns it on with LAB_KAFKA_PUBLIC_HOST (and TLS with LAB_KAFKA_TLS=true).');
    }
    if (!cls.tls) {
      throw notFound('The class listener has no TLS on this server (SASL_PLAINTEXT), so there is no CA certificate to trust: the instructor turns TLS on with LAB_KAFKA_TLS=true.');
    }
    return (await ensureCa(this.config.dataDir)).certPem;
  }
}
