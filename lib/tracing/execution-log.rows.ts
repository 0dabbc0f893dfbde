import { randomUUID } from 'node:crypto';
import type { ExecutionSource } from '../interfaces/sharding-context.interface.js';
import type { JobEvent, JobEventOf } from '../interfaces/job-event.interface.js';

/** The longest `failure_cause` and `message` the tables hold (VARCHAR(4000)). */
export const TEXT_COLUMN_LENGTH = 4_000;

/** A row of `JOB_EXECUTION_LOG`: one item's run. */
export interface ExecutionRow {
  id: string;
  jobName: string;
  taskId: string;
  hostname: string;
  ip: string;
  shardingItem: number;
  executionSource: string;
  failureCause: string | null;
  isSuccess: boolean;
  startTime: Date;
  completeTime: Date | null;
}

/** A row of `JOB_STATUS_TRACE_LOG`: one status change of a task (this instance's part of a fire). */
export interface StatusTraceRow {
  id: string;
  jobName: string;
  originalTaskId: string;
  taskId: string;
  slaveId: string;
  executionType: string;
  shardingItem: string;
  state: 'TASK_STAGING' | 'TASK_RUNNING' | 'TASK_FINISHED' | 'TASK_ERROR';
  message: string | null;
  creationTime: Date;
}

export type LogRow = { table: 'execution'; row: ExecutionRow } | { table: 'status'; row: StatusTraceRow };

/** The job events the execution log is written from. */
export const LOGGED_EVENTS = [
  'fire-scheduled',
  'fire-started',
  'fire-finished',
  'item-started',
  'item-finished',
] as const satisfies ReadonlyArray<JobEvent['type']>;

/** Where the rows are written from: this host. */
export interface RowOrigin {
  hostname: string;
  ip: string;
}

/** A manual trigger is written as ElasticJob writes one: as a normal fire. */
function sourceColumn(source: ExecutionSource): string {
  return source === 'MANUAL' ? 'NORMAL_TRIGGER' : source;
}

/** Text as a VARCHAR column takes it: no NUL character (PostgreSQL refuses one), at most `length`. */
function cut(text: string, length = TEXT_COLUMN_LENGTH): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.includes('\u0000') ? text.replace(/\u0000/g, '') : text;
  return clean.length > length ? clean.slice(0, length) : clean;
}

/** What a failed run left: the error's stack (its message and where it came from), cut to the column. */
export function failureCause(error: unknown): string {
  if (error instanceof Error) return cut(error.stack ?? `${error.name}: ${error.message}`);
  return cut(String(error));
}

/** Items as ElasticJob writes a list: `[0, 1, 2]`. */
export function itemList(items: readonly number[]): string {
  return `[${items.join(', ')}]`;
}

/**
 * What a status row says of its task, read from the task id as ElasticJob reads it:
 * `{job}@-@{items}@-@{type}@-@{slave}@-@...`: the items, the type (`READY`) and the slave (the
 * server IP, in the default instance id).
 */
function taskParts(taskId: string): { shardingItem: string; executionType: string; slaveId: string } {
  const parts = taskId.split('@-@');
  const items = parts[1] ? parts[1].split(',').map(Number) : [];
  // Cut to the columns (a task of many items has a long list).
  return {
    shardingItem: cut(itemList(items), 100),
    executionType: cut(parts[2] || 'READY', 20),
    slaveId: cut(parts[3] ?? '', 50),
  };
}

function status(
  event: { job: string; taskId: string; at: Date },
  state: StatusTraceRow['state'],
  message: string,
): LogRow {
  return {
    table: 'status',
    row: {
      id: randomUUID(),
      jobName: cut(event.job, 100),
      // ElasticJob-Lite writes no original task id: it is empty on every row.
      originalTaskId: '',
      taskId: cut(event.taskId, 255),
      ...taskParts(event.taskId),
      state,
      message: cut(message),
      creationTime: event.at,
    },
  };
}

const BEGIN = (job: string) => `Job '${job}' execute begin.`;

function fireRows(event: JobEventOf<'fire-scheduled'>): LogRow[] {
  // A trigger's own parameter is told where ElasticJob's table has room for it.
  const parameter = event.jobParameter === undefined ? '' : ` Triggered with jobParameter '${event.jobParameter}'.`;
  return [status(event, 'TASK_STAGING', BEGIN(event.job) + parameter)];
}

function startRows(event: JobEventOf<'fire-started'>): LogRow[] {
  const rows: LogRow[] = [];
  // Failed-over items are a fire of their own, with nothing scheduled before them.
  if (event.source === 'FAILOVER') rows.push(status(event, 'TASK_STAGING', BEGIN(event.job)));
  rows.push(status(event, 'TASK_RUNNING', ''));
  return rows;
}

function finishRows(event: JobEventOf<'fire-finished'>): LogRow[] {
  const ran = event.items.map((result) => result.item);
  if (ran.length === 0 && event.queued.length > 0) {
    const message =
      `Previous job '${event.job}' - shardingItems '${itemList(event.queued)}' is still running, ` +
      'misfired job will start after previous job completed.';
    return [status(event, 'TASK_FINISHED', message)];
  }
  if (ran.length === 0 && event.skipped.length > 0) {
    const message =
      `Job '${event.job}' - shardingItems '${itemList(event.skipped)}' did not run here: ` +
      'running on another instance, or this instance lost its ZooKeeper session.';
    return [status(event, 'TASK_FINISHED', message)];
  }
  if (ran.length === 0) {
    return [status(event, 'TASK_FINISHED', `Sharding item for job '${event.job}' is empty.`)];
  }
  const failed = event.items.filter((result) => result.status !== 'SUCCEEDED');
  if (failed.length === 0) return [status(event, 'TASK_FINISHED', '')];
  // Item → cause, as ElasticJob writes its map of item error messages.
  const message = `{${failed.map((result) => `${result.item}=${failureCause(result.error)}`).join(', ')}}`;
  return [status(event, 'TASK_ERROR', message)];
}

function executionRow(
  event: JobEventOf<'item-started'> | JobEventOf<'item-finished'>,
  origin: RowOrigin,
): ExecutionRow {
  const finished = event.type === 'item-finished';
  const failed = finished && event.status !== 'SUCCEEDED';
  return {
    id: event.executionId,
    jobName: cut(event.job, 100),
    taskId: cut(event.taskId, 255),
    hostname: cut(origin.hostname, 255),
    ip: cut(origin.ip, 50),
    shardingItem: event.item,
    executionSource: sourceColumn(event.source),
    failureCause: failed ? failureCause(event.error) : null,
    isSuccess: finished && !failed,
    startTime: event.startedAt,
    completeTime: finished ? new Date(event.startedAt.getTime() + event.durationMs) : null,
  };
}

/**
 * The rows an event writes, as ElasticJob writes them: an execution row per item run (at its
 * start, completed at its end), and a task's status rows (`TASK_STAGING` when a fire is
 * scheduled, `TASK_RUNNING` when its items start, `TASK_FINISHED` or `TASK_ERROR` when they
 * are over).
 */
export function rowsOf(event: JobEvent, origin: RowOrigin): LogRow[] {
  switch (event.type) {
    case 'fire-scheduled':
      return fireRows(event);
    case 'fire-started':
      return startRows(event);
    case 'fire-finished':
      return finishRows(event);
    case 'item-started':
    case 'item-finished':
      return [{ table: 'execution', row: executionRow(event, origin) }];
    default:
      return [];
  }
}
