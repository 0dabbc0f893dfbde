import type { ShardingContext } from './sharding-context.interface.js';

/**
 * Wraps every item execution: return `invoke` wrapped (tracing, metrics, context), or as is.
 * `JobExecutionDecorator` is the default; pass your own as the module's `executionDecorator`.
 */
export interface ExecutionDecorator {
  decorate(invoke: () => Promise<unknown>, context: ShardingContext): () => Promise<unknown>;
}
