import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ElasticJobError } from './errors/elastic-job.error.js';
import { InvalidJobOptionsError } from './errors/invalid-job-options.error.js';
import { JobConflictError } from './errors/job-conflict.error.js';
import { JobNotFoundError } from './errors/job-not-found.error.js';
import { LockTimeoutError } from './errors/lock-timeout.error.js';
import { RegistryCenterUnavailableError } from './errors/registry-center-unavailable.error.js';
import { RegistryOperationError } from './errors/registry-operation.error.js';

/** The HTTP status an `ElasticJobError` stands for. */
export function httpStatusOf(error: ElasticJobError): number {
  if (error instanceof JobNotFoundError) return HttpStatus.NOT_FOUND;
  if (error instanceof InvalidJobOptionsError) return HttpStatus.BAD_REQUEST;
  if (error instanceof JobConflictError) return HttpStatus.CONFLICT;
  if (
    error instanceof RegistryCenterUnavailableError ||
    error instanceof RegistryOperationError ||
    error instanceof LockTimeoutError
  ) {
    return HttpStatus.SERVICE_UNAVAILABLE;
  }
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Answers HTTP requests that fail with an `ElasticJobError` with its status (an unknown job
 * 404, an invalid configuration change 400, ZooKeeper unavailable 503) and its message, for
 * Express and Fastify alike. Other exceptions go to Nest's own handling. Register it like any
 * filter: `{ provide: APP_FILTER, useClass: ElasticJobErrorFilter }`, or
 * `app.useGlobalFilters(new ElasticJobErrorFilter(app.get(HttpAdapterHost)))`.
 * @publicApi
 */
@Catch(ElasticJobError)
export class ElasticJobErrorFilter implements ExceptionFilter<ElasticJobError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: ElasticJobError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const statusCode = httpStatusOf(error);
    httpAdapter.reply(
      host.switchToHttp().getResponse(),
      { statusCode, error: error.name, message: error.message },
      statusCode,
    );
  }
}
