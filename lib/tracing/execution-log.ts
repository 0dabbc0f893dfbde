import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ResolvedModuleOptions } from '../config/module-options.js';
import { ELASTIC_JOB_RESOLVED_OPTIONS } from '../elastic-job.constants.js';
import { HISTORY_NEEDS_TRACING } from '../elastic-job.messages.js';
import { ExecutionLogUnavailableError } from '../errors/execution-log-unavailable.error.js';
import { JobEventStream } from '../events/job-event-stream.js';
import type { TracingPool } from '../interfaces/tracing-configuration.interface.js';
import { within } from '../utils/within.js';
import { ExecutionLogRetention } from './execution-log.retention.js';
import { LOGGED_EVENTS, rowsOf } from './execution-log.rows.js';
import { ExecutionLogWriter, type WriterCounters } from './execution-log.writer.js';
import { createPool, type OwnPool } from './pg-driver.js';

/** At shutdown, what is queued gets at least this long to be written. */
const MIN_FLUSH_MS = 1_000;

/**
 * The execution log (`tracing: { type: 'RDB', dataSource }`): ElasticJob's two tables in
 * PostgreSQL, written from the job event stream, off every fire's path. Inert without
 * `tracing`.
 */
@Injectable()
export class ExecutionLog implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly database: TracingPool | undefined;
  private readonly ownPool: OwnPool | undefined;
  private readonly writer: ExecutionLogWriter | undefined;
  private readonly retention: ExecutionLogRetention | undefined;
  private detach: (() => void) | undefined;
  private shutdownDeadline: number | undefined;

  constructor(
    @Inject(ELASTIC_JOB_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    events: JobEventStream,
  ) {
    const tracing = options.tracing;
    if (!tracing) return;
    let database: TracingPool;
    if ('pool' in tracing.dataSource) {
      database = tracing.dataSource.pool;
    } else {
      const pool = createPool(tracing.dataSource.config);
      // An idle connection the server closed (a restart) is replaced on the next write.
      pool.on('error', () => undefined);
      this.ownPool = pool;
      database = pool;
    }
    this.database = database;
    // With `enabled: false` nothing runs here: the history can still be read.
    if (!options.enabled) return;
    const writer = new ExecutionLogWriter(database, tracing, options.logger);
    this.writer = writer;
    const origin = { hostname: hostname(), ip: options.serverIp };
    // Subscribed before any job is registered: no event is missed.
    this.detach = events.on((event) => writer.add(rowsOf(event, origin)), LOGGED_EVENTS);
    if (tracing.retentionDays !== undefined) {
      this.retention = new ExecutionLogRetention(database, tracing.retentionDays, options.logger);
    }
  }

  /** Whether the module has an execution log. */
  get configured(): boolean {
    return this.database !== undefined;
  }

  /** The database of the log, for the history. */
  pool(what: string): TracingPool {
    if (!this.database) throw new ExecutionLogUnavailableError(HISTORY_NEEDS_TRACING(what));
    return this.database;
  }

  /** Rows written, dropped, waiting. */
  get counters(): WriterCounters | undefined {
    return this.writer?.counters;
  }

  /** Deletes rows past the retention now; resolves with how many (0 without a retention). */
  purgeExpired(now?: Date): Promise<number> {
    return this.retention?.purge(now) ?? Promise.resolve(0);
  }

  onModuleInit(): void {
    // The tables are created in the background (a database that is down delays nothing).
    void this.writer?.prepare();
    this.retention?.start();
  }

  beforeApplicationShutdown(): void {
    this.shutdownDeadline = Date.now() + this.options.shutdownTimeoutMs;
  }

  /** After the items are drained: writes what is queued, within the shutdown deadline. */
  async onApplicationShutdown(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    const deadline = Math.max(
      this.shutdownDeadline ?? Date.now() + this.options.shutdownTimeoutMs,
      Date.now() + MIN_FLUSH_MS,
    );
    await this.writer?.close(deadline);
    // Neither a delete under way nor a connection still busy holds the shutdown past its deadline.
    const left = () => Math.max(deadline - Date.now(), 0);
    await within(this.retention?.stop(), left());
    await within(
      this.ownPool?.end().catch(() => undefined),
      left(),
    );
  }
}
