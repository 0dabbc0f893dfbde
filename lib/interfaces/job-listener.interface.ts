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
  /**
   * ElasticJob's `AbstractDistributeOnceElasticJobListener`: called once per fire across the
   * cluster instead of on every instance. `beforeJobExecuted` runs once every item of the fire
   * is ready to start on its instance, and before any of them starts; `afterJobExecuted` once
   * every item has ended everywhere. An instance that waits longer than `startedTimeoutMs`
   * (default 5000) or `completedTimeoutMs` (default 60000) for the others (one died, or an
   * item is nobody's) goes on without it: the call is not made for that fire, and the job's
   * error handler is told. At most one per job; ElasticJob's `guarantee` nodes, so Java
   * instances of the job take part.
   */
  distributeOnce?: true | { startedTimeoutMs?: number; completedTimeoutMs?: number };
}
