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

/** The clock of this host and ZooKeeper's differ by more than `maxTimeDiffSeconds`. */
export class TimeDiffExceededError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    readonly diffMs: number,
    readonly maxTimeDiffSeconds: number,
  ) {
    super(
      `Job "${jobName}": the clocks of this host and ZooKeeper differ by ${diffMs} ms, more than maxTimeDiffSeconds ` +
        `(${maxTimeDiffSeconds} s). Synchronise this host's clock (NTP), or raise maxTimeDiffSeconds (-1 disables the check).`,
    );
  }
}
