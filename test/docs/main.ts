import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './first-job.js';

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks(); // SIGTERM: items drain, the instance leaves, the others reshard at once
await app.listen(3000);
