import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';
import { INSTRUCTOR_ID, Principal } from './principal';

/**
 * Turns bearer tokens into principals. The instructor token comes from LAB_INSTRUCTOR_TOKEN or is
 * generated once and kept in <dataDir>/instructor-token, so a restart keeps the same token.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly log = new Logger('Auth');
  private instructorToken = '';

  constructor(@Inject(LAB_CONFIG) private readonly config: LabConfig) {}

  onModuleInit(): void {
    const file = path.join(this.config.dataDir, 'instructor-token');
    fs.mkdirSync(this.config.dataDir, { recursive: true });
    if (this.config.instructorToken) {
      this.instructorToken = this.config.instructorToken;
    } else if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim()) {
      this.instructorToken = fs.readFileSync(file, 'utf8').trim();
    } else {
      this.instructorToken = randomBytes(24).toString('base64url');
      this.log.log(`Generated the instructor token: ${this.instructorToken}`);
    }
    fs.writeFileSync(file, this.instructorToken + '\n', { mode: 0o600 });
    // The start's last line says where it is (logging/boot-report.ts).
    this.log.debug(`The instructor token is in ${file}`);
  }

  /** The principal for a token, or null when nobody has it. */
  verify(token: string | undefined | null): Principal | null {
    if (!token) return null;
    if (safeEqual(token, this.instructorToken)) return { id: INSTRUCTOR_ID, name: 'Instructor', role: 'instructor' };
    return null;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
