import type { ShardingContext } from './sharding-context.interface.js';

/**
 * Receives what a job item threw (or an environment problem such as clock skew). Provide a
 * class implementing it as a Nest provider and name it in `jobErrorHandlerType`.
 */
export interface JobErrorHandler {
  handleException(jobName: string, error: unknown, context?: ShardingContext): void | Promise<void>;
}

export type JobErrorHandlerType = 'LOG' | 'THROW' | 'IGNORE';
