import { Global, Module } from '@nestjs/common';
import { LAB_CONFIG, LabConfig, loadConfig } from './lab-config';

/**
 * The one global module: the validated configuration is an input of the whole service, set once at
 * boot from a value main.ts (or a test) already holds, as @nestjs/config's isGlobal. Every other
 * module says in its imports what it needs.
 */
@Global()
@Module({})
export class ConfigModule {
  /** `config` is passed in by main.ts (validated before Nest boots) or by tests. */
  static forRoot(config: LabConfig = loadConfig()) {
    return {
      module: ConfigModule,
      providers: [{ provide: LAB_CONFIG, useValue: config }],
      exports: [LAB_CONFIG],
    };
  }
}
