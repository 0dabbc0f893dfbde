import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ElasticJobError } from './errors/elastic-job.error.js';
import { ExecutionLogUnavailableError } from './errors/execution-log-unavailable.error.js';
import { InvalidHistoryQueryError } from './errors/invalid-history-query.error.js';
import { InvalidJobOptionsError } from './errors/invalid-job-options.error.js';
import { JobConflictError } from './errors/job-conflict.error.js';
import { OperationNotVisibleError } from './errors/operation-not-visible.error.js';
import { JobNotFoundError } from './errors/job-not-found.error.js';
import { JobsUnavailableError } from './errors/jobs-unavailable.error.js';
import { LockTimeoutError } from './errors/lock-timeout.error.js';
import { RegistryCenterUnavailableError } from './errors/registry-center-unavailable.error.js';
import { RegistryOperationError } from './errors/registry-operation.error.js';

/** The HTTP status an `ElasticJobError` stands for. */
export function httpStatusOf(error: ElasticJobError): number {
  if (error instanceof JobNotFoundError) return HttpStatus.NOT_FOUND;
  if (error instanceof InvalidJobOptionsError || error instanceof InvalidHistoryQueryError)
    return HttpStatus.BAD_REQUEST;
  if (error instanceof JobConflictError) return HttpStatus.CONFLICT;
  if (
    error instanceof JobsUnavailableError ||
    error instanceof ExecutionLogUnavailableError ||
    error instanceof RegistryCenterUnavailableError ||
    error instanceof RegistryOperationError ||
    error instanceof LockTimeoutError ||
    error instanceof OperationNotVisibleError
  ) {
    return HttpStatus.SERVICE_UNAVAILABLE;
  }
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Answers HTTP requests that fail with an `ElasticJobError` with its status (an unknown job
 * 404, an invalid configuration change 400, jobs off or ZooKeeper unavailable 503) and its
 * message, for Express and Fastify alike; a 500 is logged with its stack and answered without
 * its details. Errors outside HTTP (RPC, WebSocket, GraphQL) are rethrown to their own
 * handling. Register it like any filter: `{ provide: APP_FILTER, useClass: ElasticJobErrorFilter }`,
 * or `app.useGlobalFilters(new ElasticJobErrorFilter(app.get(HttpAdapterHost)))`.
 * @publicApi
 */
@Catch(ElasticJobError)
export class ElasticJobErrorFilter implements ExceptionFilter<ElasticJobError> {
  private readonly logger = new Logger('ElasticJob');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: ElasticJobError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const statusCode = httpStatusOf(error);
    const internal = statusCode === HttpStatus.INTERNAL_SERVER_ERROR;
    if (internal) this.logger.error(error.message, error.stack);
    this.adapterHost.httpAdapter.reply(
      host.switchToHttp().getResponse(),
      { statusCode, error: error.name, message: internal ? 'Internal server error' : error.message },
      statusCode,
    );
  }
}
