import type { JobRunResult } from './job-run-result.interface.js';
import type { ShardingContexts } from './sharding-context.interface.js';

/**
 * ElasticJob's `ElasticJobListener`: called around every fire of a job on every instance
 * (one with no item of the fire too), on a provider marked `@JobListener()`. What a method
 * throws, or a method that does not return within the listener's `timeoutMs`, goes to the
 * job's error handler; the fire goes on either way.
 */
export interface ElasticJobListener {
  /** Before this instance's items of the fire start. */
  beforeJobExecuted?(contexts: ShardingContexts): void | Promise<void>;
  /** Once this instance's items of the fire have ended, with how each ended. */
  afterJobExecuted?(contexts: ShardingContexts, result: JobRunResult): void | Promise<void>;
}

/** `@JobListener(options)`. */
export interface JobListenerOptions {
  /** The jobs it listens to, by name; default every job of the app. */
  jobs?: string[];
  /** Listeners are called in ascending order (ElasticJob's `order()`); default 0, then by class name. */
  order?: number;
  /** How long a call may take before it counts as failed and the fire goes on. Default 30000. */
  timeoutMs?: number;
}
