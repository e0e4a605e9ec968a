import { GUARDS_METADATA } from '@nestjs/common/constants';
import type { ExecutionContext } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppModule } from '../../src/app.module';
import type { ClassSettingsService } from '../../src/class/class-settings.service';
import { DEFAULT_QUOTAS } from '../../src/class/class.types';
import { BROKER_CONTROL_REFUSAL, NodeControlGuard } from '../../src/class/node-control.guard';
import type { Principal } from '../../src/class/principal';
import { LabError } from '../../src/common/lab-error';
import { loadConfig } from '../../src/config/lab-config';
import { routesOf, scanModules, ServerRoute } from '../support/nest-routes';
import { loadOpenApi, operations } from '../support/openapi-doc';

const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };
const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };

describe('the node-action gate (studentsMayControlBrokers)', () => {
  const settings = { joinCode: 'code', joinOpen: true, studentsMayControlBrokers: false, quotas: { ...DEFAULT_QUOTAS } };
  const guard = new NodeControlGuard({ get: () => settings } as unknown as ClassSettingsService);
  const ctx = (principal: Principal) => ({ switchToHttp: () => ({ getRequest: () => ({ principal }) }) }) as unknown as ExecutionContext;
  const refusal = (who: Principal): string | null => {
    try {
      guard.canActivate(ctx(who));
      return null;
    } catch (e) {
      expect((e as LabError).status).toBe(403);
      return (e as LabError).message;
    }
  };

  it('lets the instructor through always, a student only while the class allows it (read at each request)', () => {
    expect(refusal(instructor)).toBeNull();
    expect(refusal(ada)).toBe(BROKER_CONTROL_REFUSAL);
    settings.studentsMayControlBrokers = true;
    expect(refusal(ada)).toBeNull();
    settings.studentsMayControlBrokers = false;
    expect(refusal(ada)).toBe('Only the instructor controls the brokers in this class (the instructor can allow it: studentsMayControlBrokers).');
  });

  it('guards exactly the routes openapi.yaml marks x-node-control: the five node actions', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klab-node-control-'));
    let routes: ServerRoute[];
    try {
      const config = loadConfig({ LAB_DATA_DIR: dataDir, LAB_AUTOSTART: 'false', LAB_INSTRUCTOR_TOKEN: 'node-control-spec' });
      routes = routesOf((await scanModules(AppModule.forRoot(config))).controllers, { globalPrefix: 'api' });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const guarded = routes
      .filter((r) => ((r.meta(GUARDS_METADATA) as unknown[] | undefined) ?? []).includes(NodeControlGuard))
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .sort();
    const marked = operations(loadOpenApi())
      .filter((o) => o.op['x-node-control'] === true)
      .map((o) => `${o.method.toUpperCase()} ${o.path}`)
      .sort();
    expect(guarded).toEqual(marked);
    expect(guarded).toEqual(['kill', 'pause', 'resume', 'start', 'stop'].map((a) => `POST /api/cluster/nodes/{id}/${a}`));
  });
});
