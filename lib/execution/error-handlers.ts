import type { LoggerService } from '@nestjs/common';
import type { JobErrorHandler } from '../interfaces/job-error-handler.interface.js';
import type { ShardingContext } from '../interfaces/sharding-context.interface.js';

/** How a job's failures are handled; `rethrow` makes awaited runs reject (the THROW type). */
export interface ResolvedErrorHandler {
  readonly rethrow: boolean;
  handle(jobName: string, error: unknown, context?: ShardingContext): Promise<void>;
}

function describe(jobName: string, context: ShardingContext | undefined): string {
  return context ? `Job "${jobName}" item ${context.shardingItem} (${context.executionSource})` : `Job "${jobName}"`;
}

/** LOG (default), THROW (logged, and awaited runs reject), IGNORE, or a provider instance. */
export function resolveErrorHandler(
  type: string | undefined,
  custom: JobErrorHandler | undefined,
  logger: LoggerService,
): ResolvedErrorHandler {
  const log = async (jobName: string, error: unknown, context?: ShardingContext) => {
    logger.error(
      `${describe(jobName, context)} failed: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
      'ElasticJob',
    );
  };
  if (custom) {
    return {
      rethrow: false,
      handle: async (jobName, error, context) => {
        try {
          await custom.handleException(jobName, error, context);
        } catch (handlerError) {
          logger.error(`The error handler of job "${jobName}" threw: ${String(handlerError)}`, undefined, 'ElasticJob');
          await log(jobName, error, context);
        }
      },
    };
  }
  if (type === 'IGNORE') return { rethrow: false, handle: async () => undefined };
  return { rethrow: type === 'THROW', handle: log };
}
