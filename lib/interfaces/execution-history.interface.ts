import type { ExecutionSource } from './sharding-context.interface.js';

/** How an item's run ended, as the execution log has it. */
export type ExecutionOutcome = 'succeeded' | 'failed' | 'running';

/** Which runs `ExecutionHistory.executions()` returns; every field narrows, none is required. */
export interface ExecutionQuery {
  jobName?: string;
  item?: number;
  /** Runs of this instance (`{ip}@-@{pid}`, or the instance id the app set). */
  instanceId?: string;
  ip?: string;
  /** Runs that started at or after this time. */
  from?: Date;
  /** Runs that started before this time. */
  to?: Date;
  outcome?: ExecutionOutcome;
  source?: Exclude<ExecutionSource, 'MANUAL'>;
  /** Rows to skip (newest first). Default 0. */
  offset?: number;
  /** Rows to return, 1 to 1000. Default 50. */
  limit?: number;
}

/** One item's run: a row of `JOB_EXECUTION_LOG`. */
export interface ExecutionRecord {
  id: string;
  jobName: string;
  taskId: string;
  hostname: string;
  ip: string;
  item: number;
  /** `NORMAL_TRIGGER` (a manual trigger included, as ElasticJob writes it), `MISFIRE` or `FAILOVER`. */
  source: string;
  outcome: ExecutionOutcome;
  failureCause: string | undefined;
  startTime: Date | undefined;
  completeTime: Date | undefined;
  durationMs: number | undefined;
}

/** A page of results, newest first. */
export interface HistoryPage<T> {
  total: number;
  offset: number;
  limit: number;
  rows: T[];
}

/** One status change of a task: a row of `JOB_STATUS_TRACE_LOG`. */
export interface StatusTraceRecord {
  id: string;
  jobName: string;
  originalTaskId: string;
  taskId: string;
  slaveId: string;
  executionType: string;
  /** The task's items, as ElasticJob writes them: `[0, 1, 2]`. */
  shardingItems: string;
  /** `TASK_STAGING`, `TASK_RUNNING`, `TASK_FINISHED` or `TASK_ERROR`. */
  state: string;
  message: string | undefined;
  creationTime: Date | undefined;
}

/** Which runs `ExecutionHistory.statistics()` counts. */
export interface StatisticsQuery {
  jobName?: string;
  /** Runs that started at or after this time. Default: 24 hours ago. */
  from?: Date;
  /** Runs that started before this time. Default: now. */
  to?: Date;
}

/** One job's runs in a period. */
export interface JobRunStatistics {
  jobName: string;
  /** Completed runs. */
  runs: number;
  failures: number;
  /** Completed runs that succeeded, 0 to 1; undefined without a completed run. */
  successRate: number | undefined;
  /** Runs started in the period and not completed (running, or their instance died). */
  running: number;
  durationMs: { p50: number; p90: number; p99: number; max: number } | undefined;
  /** When the last run of the period started. */
  lastStartTime: Date | undefined;
}
