import { Injectable } from '@nestjs/common';
import type { ShardingContext } from './interfaces/sharding-context.interface.js';

/**
 * Wraps every item execution. The default returns the invocation unchanged; pass your own
 * (module option `executionDecorator`) to add tracing, metrics or context around each item.
 * @publicApi
 */
@Injectable()
export class JobExecutionDecorator {
  decorate(invoke: () => Promise<unknown>, _context: ShardingContext): () => Promise<unknown> {
    return invoke;
  }
}
