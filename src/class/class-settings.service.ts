import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ClassSettings, DEFAULT_QUOTAS } from './class.types';

/**
 * The class's settings (join code, joining open, broker control, quotas). Every concern that enforces
 * one reads `get()` at the moment it decides, so a PATCH applies to the next request.
 * FIRST STEP: kept in memory; the roster work makes it persistent and adds PATCH.
 */
@Injectable()
export class ClassSettingsService {
  private current: ClassSettings = {
    joinCode: randomBytes(4).toString('hex'),
    joinOpen: true,
    studentsMayControlBrokers: false,
    quotas: { ...DEFAULT_QUOTAS },
  };

  get(): ClassSettings {
    return this.current;
  }
}
