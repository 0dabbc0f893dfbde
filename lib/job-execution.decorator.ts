import { Injectable } from '@nestjs/common';
import type { ExecutionDecorator } from './interfaces/execution-decorator.interface.js';
import type { ShardingContext } from './interfaces/sharding-context.interface.js';

/**
 * Wraps every item execution. The default returns the invocation unchanged; pass your own
 * (module option `executionDecorator`) to add tracing, metrics or context around each item.
 * @publicApi
 */
@Injectable()
export class JobExecutionDecorator implements ExecutionDecorator {
  decorate(invoke: () => Promise<unknown>, _context: ShardingContext): () => Promise<unknown> {
    return invoke;
  }
}
