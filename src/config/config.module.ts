import { Global, Module } from '@nestjs/common';
import { LAB_CONFIG, LabConfig, loadConfig } from './lab-config';

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
