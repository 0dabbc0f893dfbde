import type { ResolvedErrorHandler } from './error-handlers.js';
import type { ElasticJobListener } from '../interfaces/job-listener.interface.js';
import type { JobRunResult } from '../interfaces/job-run-result.interface.js';
import type { ShardingContexts } from '../interfaces/sharding-context.interface.js';
import { ListenerFailedError } from '../errors/listener-failed.error.js';
import type { GuaranteeOutcome, GuaranteePhase } from '../coordination/guarantee.service.js';

/** One listener of a job, as found at startup. */
export interface ResolvedJobListener {
  /** Its class name, to tell which one failed. */
  name: string;
  order: number;
  timeoutMs: number;
  listener: ElasticJobListener;
  /** Once per fire across the cluster (a distribute-once listener), with how long to wait for the others. */
  once?: { startedTimeoutMs: number; completedTimeoutMs: number };
}

/** The cluster-wide barrier a distribute-once listener goes through (`JobCoordinationPort.onceAcrossCluster`). */
export type OnceAcrossCluster = (
  phase: GuaranteePhase,
  items: readonly number[],
  work: () => Promise<void>,
  timeoutMs: number,
  workTimeoutMs?: number,
) => Promise<GuaranteeOutcome>;

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
    private readonly onceAcrossCluster?: OnceAcrossCluster,
  ) {}

  get empty(): boolean {
    return this.listeners.length === 0;
  }

  /**
   * Before this instance's items of a fire start. `owned` is every item the fire gives this
   * instance (disabled and still-running ones too): what it marks for a distribute-once
   * listener, which failed-over runs (`owned` undefined) do not go through.
   */
  async before(contexts: ShardingContexts, owned?: readonly number[]): Promise<void> {
    for (const entry of this.listeners) {
      if (!entry.listener.beforeJobExecuted) continue;
      const call = () => this.call(entry, 'beforeJobExecuted', () => entry.listener.beforeJobExecuted!(contexts));
      if (entry.once) {
        if (owned) await this.once(entry, 'started', owned, call, entry.once.startedTimeoutMs);
      } else await call();
    }
  }

  async after(contexts: ShardingContexts, result: JobRunResult, owned?: readonly number[]): Promise<void> {
    for (const entry of this.listeners) {
      if (!entry.listener.afterJobExecuted) continue;
      const call = () => this.call(entry, 'afterJobExecuted', () => entry.listener.afterJobExecuted!(contexts, result));
      if (entry.once) {
        if (owned) await this.once(entry, 'completed', owned, call, entry.once.completedTimeoutMs);
      } else await call();
    }
  }

  /** Through the barrier: the call is made here only if this instance is the one to make it. */
  private async once(
    entry: ResolvedJobListener,
    phase: GuaranteePhase,
    owned: readonly number[],
    call: () => Promise<void>,
    timeoutMs: number,
  ): Promise<void> {
    const method = phase === 'started' ? 'beforeJobExecuted' : 'afterJobExecuted';
    try {
      const outcome = await this.onceAcrossCluster!(phase, owned, call, timeoutMs, entry.timeoutMs);
      if (outcome !== 'timed-out') return;
      const what =
        phase === 'started'
          ? `was not called for this fire: not every item of the job was ready to start within ${timeoutMs} ms`
          : `was not called for this fire: not every item of the job ended within ${timeoutMs} ms`;
      await this.errorHandler.handle(this.jobName, new ListenerFailedError(this.jobName, entry.name, method, what));
    } catch (error) {
      await this.errorHandler.handle(
        this.jobName,
        new ListenerFailedError(this.jobName, entry.name, method, 'could not go through the cluster-wide barrier', {
          cause: error,
        }),
      );
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
