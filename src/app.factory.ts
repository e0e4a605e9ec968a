import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import * as express from 'express';
import * as path from 'node:path';
import { AppModule } from './app.module';
import { refuseUnreadableBodies, JsonBodyPipe } from './common/body-type';
import { expressErrorHandler } from './common/http-exception.filter';
import { badInput } from './common/lab-error';
import { LabConfig } from './config/lab-config';
import { LabLogger } from './logging/lab-logger';

/** Builds the app exactly as `npm start` runs it; tests use it too. */
export async function createApp(config: LabConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new LabLogger(config.logLevel, config.logFormat),
  });
  configureApp(app);
  return app;
}

/** Prefix, body parsers, validation and shutdown hooks: shared by createApp and tests that boot a part of the app. */
export function configureApp(app: INestApplication): void {
  // GET /metrics is where Prometheus looks by default, outside the API.
  app.setGlobalPrefix('api', { exclude: ['/', '/metrics'] });
  // The web dashboard: static files, no build step; socket.io serves its own browser client.
  app.use(express.static(path.resolve(__dirname, '..', 'clients', 'web'), { index: 'index.html' }));
  // The client module the page shares with klab (clients/lib/lab-client.js).
  app.use('/lib', express.static(path.resolve(__dirname, '..', 'clients', 'lib'), { index: false }));
  // uPlot, the page's chart library, served as npm installed it (no build step).
  app.use('/vendor/uplot', express.static(path.dirname(require.resolve('uplot')), { index: false }));
  // Own body parsers: JSON, and text/plain for `kcat -P`-style produce of one message per line.
  app.use(refuseUnreadableBodies);
  app.use(express.json({ limit: '8mb', strict: false }));
  app.use(express.text({ type: 'text/plain', limit: '8mb' }));
  // Failures before Nest's routing (the parsers above) go through the same boundary as Nest's own.
  app.use(expressErrorHandler);
  app.useGlobalPipes(
    new JsonBodyPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => {
        const details = errors.flatMap((e) => flatten(e));
        return badInput(details.length === 1 ? details[0] : `${details.length} problems with the request: ${details.join('; ')}.`, details);
      },
    }),
  );
  app.enableShutdownHooks();
}

function flatten(e: import('class-validator').ValidationError, prefix = ''): string[] {
  const name = prefix + e.property;
  const own = Object.values(e.constraints ?? {}).map((m) =>
    m.startsWith('property ') && m.endsWith('should not exist') ? `${name} is not a field this route takes` : m,
  );
  return [...own, ...(e.children ?? []).flatMap((c) => flatten(c, name + '.'))];
}

