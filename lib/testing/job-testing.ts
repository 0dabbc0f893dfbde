/**
 * Helpers for testing your own jobs with `@nestjs/testing`: module options isolated per test,
 * a run of a job awaited per item, and a `ShardingContext` for calling a handler directly.
 */
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { ElasticJobError } from '../errors/elastic-job.error.js';
import { taskId } from '../execution/sharding-context.js';
import type { ItemResult, JobRunResult } from '../interfaces/job-run-result.interface.js';
import type { ElasticJobModuleOptions } from '../interfaces/elastic-job-module-options.interface.js';
import type { ShardingContext } from '../interfaces/sharding-context.interface.js';
import { JobOperator } from '../job.operator.js';

/** Session timeout of `testingModuleOptions`: short, so session-loss tests stay quick. */
export const TESTING_SESSION_TIMEOUT_MS = 4_000;

/**
 * Module options for a test against `server` (a `ZooKeeperTestingServer`, a cluster, or a
 * connect string): a namespace of its own (`elastic-job-test-{random}`), so tests sharing a
 * server never see each other's jobs, and a 4 s session timeout. `overrides` win, and
 * `overrides.zookeeper` is merged into the generated `zookeeper` options.
 */
export function testingModuleOptions(
  server: { connectString: string } | string,
  overrides: Partial<ElasticJobModuleOptions> = {},
): ElasticJobModuleOptions {
  const { zookeeper, ...rest } = overrides;
  return {
    ...rest,
    zookeeper: {
      serverLists: typeof server === 'string' ? server : server.connectString,
      namespace: `elastic-job-test-${randomUUID().slice(0, 8)}`,
      sessionTimeoutMs: TESTING_SESSION_TIMEOUT_MS,
      ...zookeeper,
    },
  };
}

export interface RunJobOptions {
  /** How long to wait for the run on this instance. Default 60000 ms. */
  timeoutMs?: number;
  /** Reject with `JobRunFailedError` when an item did not succeed. Default false. */
  throwOnFailure?: boolean;
}

/** A run in which at least one item failed, timed out or was aborted. */
export class JobRunFailedError extends ElasticJobError {
  constructor(
    readonly run: JobRunResult,
    readonly failedItems: ItemResult[],
  ) {
    const lines = failedItems.map(
      (item) => `  item ${item.item}: ${item.status}${item.error === undefined ? '' : `: ${describe(item.error)}`}`,
    );
    super(
      `Job "${run.jobName}": ${failedItems.length} of ${run.items.length} items did not succeed:\n${lines.join('\n')}`,
      { cause: failedItems[0]?.error },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Triggers `jobName` on every live instance (as `JobOperator.trigger`) once the module is
 * ready, and resolves with this instance's run: one result per item it ran, with the
 * handler's return value or error. `app` is the initialised application or testing module.
 */
export async function runJob(
  app: Pick<INestApplicationContext, 'get'>,
  jobName: string,
  options: RunJobOptions = {},
): Promise<JobRunResult> {
  const operator = app.get(JobOperator, { strict: false });
  await operator.waitUntilReady();
  const run = await operator.triggerAndWait(jobName, { timeoutMs: options.timeoutMs });
  const failed = run.items.filter((item) => item.status !== 'SUCCEEDED');
  if (options.throwOnFailure && failed.length > 0) throw new JobRunFailedError(run, failed);
  return run;
}

/**
 * A `ShardingContext` for calling a job's handler method directly in a unit test, without
 * the module or ZooKeeper. Defaults: job `test-job`, item 0 of 1, source `MANUAL`, fire time
 * now, a signal that is never aborted (pass your own `AbortController`'s to test aborts).
 */
export function createShardingContext(overrides: Partial<ShardingContext> = {}): ShardingContext {
  const jobName = overrides.jobName ?? 'test-job';
  const shardingItem = overrides.shardingItem ?? 0;
  const shardingTotalCount = overrides.shardingTotalCount ?? Math.max(1, shardingItem + 1);
  if (!Number.isInteger(shardingItem) || shardingItem < 0 || shardingItem >= shardingTotalCount) {
    throw new RangeError(
      `shardingItem must be an integer from 0 to shardingTotalCount - 1 (${shardingTotalCount - 1}), got ${shardingItem}`,
    );
  }
  return {
    jobName,
    taskId: taskId(jobName, [shardingItem], `127.0.0.1@-@${process.pid}`),
    shardingTotalCount,
    jobParameter: '',
    shardingParameter: undefined,
    executionSource: 'MANUAL',
    fireTime: new Date(),
    signal: new AbortController().signal,
    ...overrides,
    shardingItem,
  };
}
