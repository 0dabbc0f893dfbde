import type { LoggerService } from '@nestjs/common';
import type { TracingPool } from '../interfaces/tracing-configuration.interface.js';
import {
  EXECUTION_LOG_BACK,
  EXECUTION_LOG_DROPPING,
  EXECUTION_LOG_FAILING,
  EXECUTION_LOG_NOT_FLUSHED,
  EXECUTION_LOG_REFUSED,
} from '../elastic-job.messages.js';
import { within } from '../utils/within.js';
import { ensureSchema, SchemaUnavailableError } from './execution-log.schema.js';
import type { ExecutionRow, LogRow, StatusTraceRow } from './execution-log.rows.js';

export interface WriterSettings {
  maxQueuedRows: number;
  batchSize: number;
  flushIntervalMs: number;
}

/** Retries after a failed write wait this long, doubling up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
/** Rows dropped are told at most this often. */
const DROP_WARNING_INTERVAL_MS = 30_000;
const LOG_CONTEXT = 'ElasticJobExecutionLog';

/** Each table's columns, in order, with the row field each is written from. */
const EXECUTION_COLUMNS: ReadonlyArray<readonly [string, keyof ExecutionRow]> = [
  ['id', 'id'],
  ['job_name', 'jobName'],
  ['task_id', 'taskId'],
  ['hostname', 'hostname'],
  ['ip', 'ip'],
  ['sharding_item', 'shardingItem'],
  ['execution_source', 'executionSource'],
  ['failure_cause', 'failureCause'],
  ['is_success', 'isSuccess'],
  ['start_time', 'startTime'],
  ['complete_time', 'completeTime'],
];

const STATUS_COLUMNS: ReadonlyArray<readonly [string, keyof StatusTraceRow]> = [
  ['id', 'id'],
  ['job_name', 'jobName'],
  ['original_task_id', 'originalTaskId'],
  ['task_id', 'taskId'],
  ['slave_id', 'slaveId'],
  ['execution_type', 'executionType'],
  ['sharding_item', 'shardingItem'],
  ['state', 'state'],
  ['message', 'message'],
  ['creation_time', 'creationTime'],
];

/**
 * A run's row: written at its start and again at its end (in another batch), it is completed
 * by its second write; a start written after its end (a retry) changes nothing.
 */
const EXECUTION_CONFLICT =
  'ON CONFLICT (id) DO UPDATE SET is_success = EXCLUDED.is_success, complete_time = EXCLUDED.complete_time, ' +
  'failure_cause = EXCLUDED.failure_cause WHERE EXCLUDED.complete_time IS NOT NULL';
/** A status row retried (same id) is not written twice. */
const STATUS_CONFLICT = 'ON CONFLICT (id) DO NOTHING';

/** One multi-row INSERT of `rows` into `table`. */
function insertStatement<R>(
  table: string,
  columns: ReadonlyArray<readonly [string, keyof R]>,
  rows: readonly R[],
  onConflict: string,
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const groups: string[] = [];
  for (const row of rows) {
    const cells = columns.map(([, field]) => {
      values.push(row[field]);
      return `$${values.length}`;
    });
    groups.push(`(${cells.join(', ')})`);
  }
  const names = columns.map(([column]) => column).join(', ');
  return { text: `INSERT INTO ${table} (${names}) VALUES ${groups.join(', ')} ${onConflict}`, values };
}

/** What the writer has done, for tests, benchmarks and the console. */
export interface WriterCounters {
  /** Rows written. */
  written: number;
  /** Rows dropped because the queue was full. */
  dropped: number;
  /** Rows waiting. */
  queued: number;
  /** Statements that failed (each is retried). */
  failedWrites: number;
}

/**
 * Writes rows in the background, in batches (one multi-row statement per table), never in a
 * fire's way: `add` only queues. The queue is bounded; when the database is down or slow, rows
 * wait up to the bound, then new ones are dropped, counted, and told at most every 30 s. A
 * failed write is retried with a growing delay until it succeeds (the pool reconnects); the
 * tables are created before the first write.
 */
export class ExecutionLogWriter {
  private queue: LogRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private schemaReady = false;
  private failingSince: number | undefined;
  private retryDelayMs = RETRY_FIRST_MS;
  private droppedSinceWarning = 0;
  private lastDropWarning = 0;
  private closed = false;
  private poolEnded = false;
  readonly counters: WriterCounters = { written: 0, dropped: 0, queued: 0, failedWrites: 0 };

  constructor(
    private readonly pool: TracingPool,
    private readonly settings: WriterSettings,
    private readonly logger: LoggerService,
  ) {}

  /** Queues rows; never blocks, never throws. */
  add(rows: readonly LogRow[]): void {
    if (this.closed) return;
    for (const row of rows) {
      if (this.queue.length >= this.settings.maxQueuedRows) {
        this.drop(1);
        continue;
      }
      this.queue.push(row);
    }
    this.counters.queued = this.queue.length;
    this.schedule();
  }

  /** Creates the tables now (once); false when the database cannot be reached. */
  async prepare(): Promise<boolean> {
    try {
      await this.ensureSchema();
      return true;
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  /**
   * Writes what is queued, retrying until `deadline` (epoch ms); what is left then is told
   * and given up. No row is taken after this.
   */
  async close(deadline: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (Date.now() < deadline && !this.poolEnded) {
      if (this.writing) await within(this.writing, deadline - Date.now());
      else if (this.queue.length === 0) break;
      else {
        const wrote = await within(this.write(), deadline - Date.now());
        if (wrote === false && Date.now() < deadline) await sleep(Math.min(this.retryDelayMs, deadline - Date.now()));
      }
    }
    if (this.queue.length > 0) {
      this.logger.warn(EXECUTION_LOG_NOT_FLUSHED(this.queue.length), LOG_CONTEXT);
      this.counters.dropped += this.queue.length;
      this.queue = [];
      this.counters.queued = 0;
    }
  }

  private drop(count: number): void {
    this.counters.dropped += count;
    this.droppedSinceWarning += count;
    const now = Date.now();
    if (now - this.lastDropWarning >= DROP_WARNING_INTERVAL_MS) {
      this.logger.warn(
        EXECUTION_LOG_DROPPING(this.droppedSinceWarning, this.counters.dropped, this.settings.maxQueuedRows),
        LOG_CONTEXT,
      );
      this.lastDropWarning = now;
      this.droppedSinceWarning = 0;
    }
  }

  private schedule(): void {
    if (this.closed || this.writing || this.timer || this.queue.length === 0) return;
    const full = this.queue.length >= this.settings.batchSize;
    const delay = this.failingSince !== undefined ? this.retryDelayMs : full ? 0 : this.settings.flushIntervalMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Scheduled again once the write is over (see `write`).
      void this.write();
    }, delay);
    this.timer.unref();
  }

  /** One batch; resolves false when it failed (it stays queued, first in line). */
  private write(): Promise<boolean> {
    const batch = this.queue.slice(0, this.settings.batchSize);
    if (batch.length === 0) return Promise.resolve(true);
    const run = (async () => {
      try {
        await this.ensureSchema();
        let refused = 0;
        try {
          await this.insert(batch);
        } catch (error) {
          if (!isRefusedData(error)) throw error;
          // Retried as it is, the batch would fail the same way and hold every row behind it:
          // each row on its own, so that only what the database refuses is dropped.
          refused = await this.insertOneByOne(batch);
        }
        // Rows queued meanwhile went behind the batch.
        this.queue.splice(0, batch.length);
        this.counters.written += batch.length - refused;
        this.counters.dropped += refused;
        this.counters.queued = this.queue.length;
        this.succeeded();
        return true;
      } catch (error) {
        this.counters.failedWrites += 1;
        // A table dropped meanwhile is created again before the next try.
        if ((error as { code?: unknown } | null)?.code === '42P01') this.schemaReady = false;
        this.failed(error);
        return false;
      }
    })();
    const writing = run.then(() => undefined);
    this.writing = writing;
    void writing.finally(() => {
      if (this.writing === writing) this.writing = undefined;
      // What came in meanwhile, what is left, or the retry of a failed batch.
      this.schedule();
    });
    return run;
  }

  /** One statement per table for the batch. */
  private async insert(batch: readonly LogRow[]): Promise<void> {
    const executions = new Map<string, ExecutionRow>();
    const statuses: StatusTraceRow[] = [];
    for (const entry of batch) {
      // A run's start and end in one batch: one row, the completed one.
      if (entry.table === 'execution') executions.set(entry.row.id, entry.row);
      else statuses.push(entry.row);
    }
    if (executions.size > 0) {
      const { text, values } = insertStatement(
        'JOB_EXECUTION_LOG',
        EXECUTION_COLUMNS,
        [...executions.values()],
        EXECUTION_CONFLICT,
      );
      await this.pool.query(text, values);
    }
    if (statuses.length > 0) {
      const { text, values } = insertStatement('JOB_STATUS_TRACE_LOG', STATUS_COLUMNS, statuses, STATUS_CONFLICT);
      await this.pool.query(text, values);
    }
  }

  /** Each row alone; resolves with how many the database refused (those are told, and dropped). */
  private async insertOneByOne(batch: readonly LogRow[]): Promise<number> {
    let refused = 0;
    let example: unknown;
    for (const entry of batch) {
      try {
        await this.insert([entry]);
      } catch (error) {
        if (!isRefusedData(error)) throw error;
        refused += 1;
        example ??= error;
      }
    }
    if (refused > 0) this.logger.error(EXECUTION_LOG_REFUSED(refused, example), undefined, LOG_CONTEXT);
    return refused;
  }

  private async ensureSchema(): Promise<void> {
    if (this.schemaReady) return;
    await ensureSchema(this.pool);
    this.schemaReady = true;
  }

  private failed(error: unknown): void {
    // The app ended its pool before ours was done with it: nothing more can be written.
    if (error instanceof Error && /after calling end on the pool/.test(error.message)) this.poolEnded = true;
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.retryDelayMs = RETRY_FIRST_MS;
      this.logger.warn(EXECUTION_LOG_FAILING(error, this.queue.length, this.settings.maxQueuedRows), LOG_CONTEXT);
      return;
    }
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
  }

  private succeeded(): void {
    if (this.failingSince === undefined) return;
    this.logger.log(EXECUTION_LOG_BACK(Date.now() - this.failingSince, this.counters.dropped), LOG_CONTEXT);
    this.failingSince = undefined;
    this.retryDelayMs = RETRY_FIRST_MS;
  }
}

/**
 * The database refused the rows themselves (SQLSTATE class 22, data exception; 23, integrity
 * constraint; 42, a table of another shape), not the connection.
 */
function isRefusedData(error: unknown): boolean {
  if (error instanceof SchemaUnavailableError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  // Not 42P01 (no such table: created again) nor 42501 (no privilege: a grant may come).
  return typeof code === 'string' && /^(22|23|42)[0-9A-Z]{3}$/.test(code) && code !== '42P01' && code !== '42501';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
