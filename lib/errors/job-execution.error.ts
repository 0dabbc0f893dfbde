import { ElasticJobError } from './elastic-job.error.js';

/** An item ran longer than its `executionTimeoutMs`. */
export class ExecutionTimeoutError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    readonly shardingItem: number,
    readonly timeoutMs: number,
  ) {
    super(
      `Job "${jobName}" item ${shardingItem} exceeded its execution timeout of ${timeoutMs} ms; its signal was aborted.`,
    );
  }
}

/** An item was aborted: shutdown past its deadline, or the ZooKeeper session was lost. */
export class ExecutionAbortedError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    readonly shardingItem: number,
    readonly reason: string,
  ) {
    super(`Job "${jobName}" item ${shardingItem} was aborted: ${reason}.`);
  }
}

/** A run whose job uses the THROW error handler had failed items (what awaiting callers see). */
export class JobExecutionError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    readonly failures: ReadonlyArray<{ item: number; error: unknown }>,
  ) {
    super(
      `Job "${jobName}" failed on item(s) ${failures.map((f) => f.item).join(', ')}: ` +
        failures.map((f) => `[${f.item}] ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; '),
    );
  }
}
