import { Injectable } from '@nestjs/common';
import { InvalidHistoryQueryError } from '../errors/invalid-history-query.error.js';
import type {
  ExecutionOutcome,
  ExecutionQuery,
  ExecutionRecord,
  HistoryPage,
  JobRunStatistics,
  StatisticsQuery,
  StatusTraceRecord,
} from '../interfaces/execution-history.interface.js';
import { unknownKeys } from '../utils/closest-name.js';
import { UNKNOWN_OPTION } from '../elastic-job.messages.js';
import { ExecutionLog } from './execution-log.js';

const EXECUTION_KEYS: ReadonlyArray<keyof ExecutionQuery> = [
  'jobName',
  'item',
  'instanceId',
  'ip',
  'from',
  'to',
  'outcome',
  'source',
  'offset',
  'limit',
];
const STATISTICS_KEYS: ReadonlyArray<keyof StatisticsQuery> = ['jobName', 'from', 'to'];
const OUTCOMES: readonly ExecutionOutcome[] = ['succeeded', 'failed', 'running'];
const SOURCES = ['NORMAL_TRIGGER', 'MISFIRE', 'FAILOVER'];
const DEFAULT_LIMIT = 50;
/** A task's states in the order they happen: rows of one millisecond are put in it. */
const STATE_ORDER = "CASE state WHEN 'TASK_STAGING' THEN 0 WHEN 'TASK_RUNNING' THEN 1 ELSE 2 END";
const MAX_LIMIT = 1_000;
const DAY_MS = 86_400_000;

function invalid(field: string, value: unknown, allowed: string): never {
  throw new InvalidHistoryQueryError(`Invalid history query field ${field} ${JSON.stringify(value)}: ${allowed}.`);
}

function checkKeys(query: object, known: readonly string[], where: string): void {
  const unknown = unknownKeys(query, known);
  if (unknown.length > 0) {
    throw new InvalidHistoryQueryError(
      unknown.map(({ key, closest }) => UNKNOWN_OPTION(where, key, closest, known)).join('\n'),
    );
  }
}

function date(value: unknown, field: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) invalid(field, value, 'a valid Date');
  return value;
}

function text(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) invalid(field, value, 'a non-empty string');
  return value;
}

function integer(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    invalid(field, value, `an integer from ${min} to ${max}`);
  }
  return value as number;
}

/** Builds a WHERE clause with numbered parameters. */
class Conditions {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];
  add(clause: (parameter: string) => string, value: unknown): void {
    if (value === undefined) return;
    this.values.push(value);
    this.clauses.push(clause(`$${this.values.length}`));
  }
  fixed(clause: string): void {
    this.clauses.push(clause);
  }
  get where(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

type Row = Record<string, unknown>;

const optional = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

function executionRecord(row: Row): ExecutionRecord {
  const start = optional(row.start_time as Date | null);
  const complete = optional(row.complete_time as Date | null);
  return {
    id: row.id as string,
    jobName: row.job_name as string,
    taskId: row.task_id as string,
    hostname: row.hostname as string,
    ip: row.ip as string,
    item: row.sharding_item as number,
    source: row.execution_source as string,
    outcome: !complete ? 'running' : row.is_success ? 'succeeded' : 'failed',
    failureCause: optional(row.failure_cause as string | null),
    startTime: start,
    completeTime: complete,
    durationMs: start && complete ? complete.getTime() - start.getTime() : undefined,
  };
}

function statusRecord(row: Row): StatusTraceRecord {
  return {
    id: row.id as string,
    jobName: row.job_name as string,
    originalTaskId: row.original_task_id as string,
    taskId: row.task_id as string,
    slaveId: row.slave_id as string,
    executionType: row.execution_type as string,
    shardingItems: row.sharding_item as string,
    state: row.state as string,
    message: optional(row.message as string | null) || undefined,
    creationTime: optional(row.creation_time as Date | null),
  };
}

/**
 * The execution history, read from the execution log: what ran where, when, how long, and why
 * it failed; Java instances' rows in the same tables included. Needs `tracing` in the module
 * options; every method otherwise fails with `ExecutionLogUnavailableError`.
 * @publicApi
 */
@Injectable()
export class ExecutionHistory {
  constructor(private readonly log: ExecutionLog) {}

  /** Item runs, newest first, filtered and paginated. */
  async executions(query: ExecutionQuery = {}): Promise<HistoryPage<ExecutionRecord>> {
    const pool = this.log.pool('ExecutionHistory.executions()');
    checkKeys(query, EXECUTION_KEYS, 'the execution query');
    const limit = integer(query.limit, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    const offset = integer(query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    if (query.outcome !== undefined && !OUTCOMES.includes(query.outcome)) {
      invalid('outcome', query.outcome, `one of ${OUTCOMES.join(', ')}`);
    }
    if (query.source !== undefined && !SOURCES.includes(query.source)) {
      invalid('source', query.source, `one of ${SOURCES.join(', ')}`);
    }
    const where = new Conditions();
    where.add((p) => `job_name = ${p}`, text(query.jobName, 'jobName'));
    where.add((p) => `sharding_item = ${p}`, integer(query.item, 'item', 0, 2_147_483_647));
    where.add((p) => `ip = ${p}`, text(query.ip, 'ip'));
    // The task id ends with the instance id: `{job}@-@{items}@-@READY@-@{instanceId}`.
    const instanceId = text(query.instanceId, 'instanceId');
    where.add((p) => `right(task_id, length(${p}) + 3) = '@-@' || ${p}`, instanceId);
    where.add((p) => `start_time >= ${p}`, date(query.from, 'from'));
    where.add((p) => `start_time < ${p}`, date(query.to, 'to'));
    where.add((p) => `execution_source = ${p}`, query.source);
    if (query.outcome === 'running') where.fixed('complete_time IS NULL');
    if (query.outcome === 'succeeded') where.fixed('complete_time IS NOT NULL AND is_success');
    if (query.outcome === 'failed') where.fixed('complete_time IS NOT NULL AND NOT is_success');
    const count = await pool.query(`SELECT count(*)::int AS total FROM JOB_EXECUTION_LOG ${where.where}`, where.values);
    const rows = await pool.query(
      `SELECT * FROM JOB_EXECUTION_LOG ${where.where} ORDER BY start_time DESC NULLS LAST, id ` +
        `LIMIT ${limit} OFFSET ${offset}`,
      where.values,
    );
    return {
      total: (count.rows[0] as { total: number }).total,
      offset,
      limit,
      rows: (rows.rows as Row[]).map(executionRecord),
    };
  }

  /** The status changes of a task (`TASK_STAGING`, `TASK_RUNNING`, ...), oldest first. */
  async statusTrace(taskId: string): Promise<StatusTraceRecord[]> {
    const pool = this.log.pool('ExecutionHistory.statusTrace()');
    text(taskId, 'taskId');
    const result = await pool.query(
      `SELECT * FROM JOB_STATUS_TRACE_LOG WHERE task_id = $1 ORDER BY creation_time, ${STATE_ORDER}, id`,
      [taskId],
    );
    return (result.rows as Row[]).map(statusRecord);
  }

  /**
   * Per job, the runs started in a period (by default the last 24 hours): completed runs,
   * failures, the success rate, runs not completed, and duration percentiles.
   */
  async statistics(query: StatisticsQuery = {}): Promise<JobRunStatistics[]> {
    const pool = this.log.pool('ExecutionHistory.statistics()');
    checkKeys(query, STATISTICS_KEYS, 'the statistics query');
    const to = date(query.to, 'to') ?? new Date();
    const from = date(query.from, 'from') ?? new Date(to.getTime() - DAY_MS);
    if (from.getTime() > to.getTime()) invalid('from', from, `a time before "to" (${to.toISOString()})`);
    const where = new Conditions();
    where.add((p) => `start_time >= ${p}`, from);
    where.add((p) => `start_time < ${p}`, to);
    where.add((p) => `job_name = ${p}`, text(query.jobName, 'jobName'));
    const duration = 'extract(epoch FROM (complete_time - start_time)) * 1000';
    const result = await pool.query(
      `SELECT job_name,
         count(*) FILTER (WHERE complete_time IS NOT NULL)::int AS runs,
         count(*) FILTER (WHERE complete_time IS NOT NULL AND NOT is_success)::int AS failures,
         count(*) FILTER (WHERE complete_time IS NULL)::int AS running,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${duration}) AS p50,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY ${duration}) AS p90,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY ${duration}) AS p99,
         max(${duration}) AS max,
         max(start_time) AS last_start
       FROM JOB_EXECUTION_LOG ${where.where}
       GROUP BY job_name ORDER BY job_name`,
      where.values,
    );
    return (result.rows as Row[]).map((row) => {
      const runs = row.runs as number;
      const failures = row.failures as number;
      const ms = (value: unknown) => Math.round(Number(value) * 10) / 10;
      return {
        jobName: row.job_name as string,
        runs,
        failures,
        successRate: runs > 0 ? (runs - failures) / runs : undefined,
        running: row.running as number,
        durationMs:
          row.p50 === null ? undefined : { p50: ms(row.p50), p90: ms(row.p90), p99: ms(row.p99), max: ms(row.max) },
        lastStartTime: row.last_start === null ? undefined : (row.last_start as Date),
      };
    });
  }
}
