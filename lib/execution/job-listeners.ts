import type { ResolvedErrorHandler } from './error-handlers.js';
import type { ElasticJobListener } from '../interfaces/job-listener.interface.js';
import type { JobRunResult } from '../interfaces/job-run-result.interface.js';
import type { ShardingContexts } from '../interfaces/sharding-context.interface.js';
import { ListenerFailedError } from '../errors/listener-failed.error.js';

/** One listener of a job, as found at startup. */
export interface ResolvedJobListener {
  /** Its class name, to tell which one failed. */
  name: string;
  order: number;
  timeoutMs: number;
  listener: ElasticJobListener;
}

/**
 * A job's local listeners, in order, around each fire on this instance. A call that throws
 * or outlives its `timeoutMs` goes to the job's error handler and the next one is called: a
 * listener can neither stop nor hold up a fire for longer than its timeout.
 */
export class JobListenerChain {
  constructor(
    private readonly jobName: string,
    private readonly listeners: readonly ResolvedJobListener[],
    private readonly errorHandler: ResolvedErrorHandler,
  ) {}

  get empty(): boolean {
    return this.listeners.length === 0;
  }

  async before(contexts: ShardingContexts): Promise<void> {
    for (const entry of this.listeners) {
      if (entry.listener.beforeJobExecuted) {
        await this.call(entry, 'beforeJobExecuted', () => entry.listener.beforeJobExecuted!(contexts));
      }
    }
  }

  async after(contexts: ShardingContexts, result: JobRunResult): Promise<void> {
    for (const entry of this.listeners) {
      if (entry.listener.afterJobExecuted) {
        await this.call(entry, 'afterJobExecuted', () => entry.listener.afterJobExecuted!(contexts, result));
      }
    }
  }

  private async call(entry: ResolvedJobListener, method: string, invoke: () => unknown): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(invoke),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new ListenerFailedError(
                  this.jobName,
                  entry.name,
                  method,
                  `did not return within ${entry.timeoutMs} ms`,
                ),
              ),
            entry.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      const failure =
        error instanceof ListenerFailedError
          ? error
          : new ListenerFailedError(this.jobName, entry.name, method, 'threw', { cause: error });
      await this.errorHandler.handle(this.jobName, failure);
    } finally {
      clearTimeout(timer);
    }
  }
}
