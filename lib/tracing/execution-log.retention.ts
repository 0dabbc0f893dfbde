import type { LoggerService } from '@nestjs/common';
import { EXECUTION_LOG_RETENTION_FAILED } from '../elastic-job.messages.js';
import type { TracingPool } from '../interfaces/tracing-configuration.interface.js';

const DAY_MS = 86_400_000;
/** Rows per delete: small, so that no statement holds its locks long. */
export const RETENTION_BATCH = 1_000;
const RETENTION_EVERY_MS = 3_600_000;
/** The first pass waits this long after the start, out of the boot's way. */
const FIRST_PASS_AFTER_MS = 60_000;

/**
 * Deletes rows older than the retention, in small batches, every hour (ElasticJob keeps every
 * row, and its users' tables grow without end). Every instance does it; they delete the same
 * rows at worst, never each other's recent ones.
 */
export class ExecutionLogRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly pool: TracingPool,
    private readonly retentionDays: number,
    private readonly logger: LoggerService,
  ) {}

  start(firstPassAfterMs = FIRST_PASS_AFTER_MS): void {
    const tick = (delay: number) => {
      this.timer = setTimeout(() => {
        void this.purge()
          .catch((error: unknown) => this.logger.warn(EXECUTION_LOG_RETENTION_FAILED(error), 'ElasticJobExecutionLog'))
          .finally(() => {
            if (!this.stopped) tick(RETENTION_EVERY_MS);
          });
      }, delay);
      this.timer.unref();
    };
    tick(firstPassAfterMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass: deletes every row older than the retention; resolves with how many. */
  purge(now = new Date()): Promise<number> {
    this.running ??= (async () => {
      const before = new Date(now.getTime() - this.retentionDays * DAY_MS);
      let deleted = 0;
      for (const [table, column] of [
        ['JOB_EXECUTION_LOG', 'start_time'],
        ['JOB_STATUS_TRACE_LOG', 'creation_time'],
      ] as const) {
        for (;;) {
          if (this.stopped) return deleted;
          const result = await this.pool.query(
            `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${column} < $1 LIMIT ${RETENTION_BATCH})`,
            [before],
          );
          deleted += result.rowCount ?? 0;
          if ((result.rowCount ?? 0) < RETENTION_BATCH) break;
        }
      }
      return deleted;
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}
