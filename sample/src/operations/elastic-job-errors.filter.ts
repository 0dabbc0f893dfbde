import { ArgumentsHost, Catch, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ElasticJobError, InvalidJobOptionsError, JobNotFoundError } from 'nestjs-elastic-job';

/** Maps the library's typed errors to HTTP answers: unknown job 404, bad input 400, else 503. */
@Catch(ElasticJobError)
export class ElasticJobErrorsFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: ElasticJobError, host: ArgumentsHost): void {
    const status =
      error instanceof JobNotFoundError
        ? HttpStatus.NOT_FOUND
        : error instanceof InvalidJobOptionsError
          ? HttpStatus.BAD_REQUEST
          : HttpStatus.SERVICE_UNAVAILABLE;
    const { httpAdapter } = this.adapterHost;
    httpAdapter.reply(
      host.switchToHttp().getResponse(),
      { statusCode: status, error: error.name, message: error.message },
      status,
    );
  }
}
