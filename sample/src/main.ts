import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { sampleConfigFromEnv } from './sample.config.js';

async function bootstrap(): Promise<void> {
  const config = sampleConfigFromEnv();
  const logLevels = (process.env.LOG_LEVELS ?? 'log,warn,error').split(',') as LogLevel[];
  const app = await NestFactory.create(AppModule.register(config), { logger: logLevels });
  // SIGTERM / SIGINT run app.close(): running items drain, this instance leaves the cluster
  // and the survivors reshard at once instead of waiting for the session to time out.
  app.enableShutdownHooks();
  await app.listen(config.port, '127.0.0.1');
  const url = await app.getUrl();
  Logger.log(`Listening on ${url} (try GET /jobs)`, 'Sample');
  if (config.jsonEvents) process.stdout.write(`${JSON.stringify({ event: 'ready', url, pid: process.pid })}\n`);
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error), 'Sample');
  process.exit(1);
});
