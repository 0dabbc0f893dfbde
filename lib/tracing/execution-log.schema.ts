import type { TracingPool } from '../interfaces/tracing-configuration.interface.js';

/**
 * ElasticJob's two tables for PostgreSQL, with its names, columns and types (unquoted, so
 * PostgreSQL folds the names to lower case, as it does for the tables a Java instance
 * creates), and its index; plus an index of ours on each table's time, for history queries
 * and retention. Only what is missing is created (as ElasticJob does: tables made by a DBA, a
 * migration or a Java instance under another user are used as they are), under an advisory
 * lock so that instances starting together do not race. Sent as one simple query: PostgreSQL
 * runs it as one transaction.
 */
const CREATE_EXECUTION_LOG = `
CREATE TABLE IF NOT EXISTS JOB_EXECUTION_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, task_id VARCHAR(255) NOT NULL, hostname VARCHAR(255) NOT NULL, ip VARCHAR(50) NOT NULL, sharding_item INT NOT NULL, execution_source VARCHAR(20) NOT NULL, failure_cause VARCHAR(4000) NULL, is_success BOOLEAN NOT NULL, start_time TIMESTAMP NULL, complete_time TIMESTAMP NULL, PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS JOB_EXECUTION_LOG_START_TIME_INDEX ON JOB_EXECUTION_LOG (start_time);`;

const CREATE_STATUS_TRACE_LOG = `
CREATE TABLE IF NOT EXISTS JOB_STATUS_TRACE_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, original_task_id VARCHAR(255) NOT NULL, task_id VARCHAR(255) NOT NULL, slave_id VARCHAR(50) NOT NULL, execution_type VARCHAR(20) NOT NULL, sharding_item VARCHAR(100) NOT NULL, state VARCHAR(20) NOT NULL, message VARCHAR(4000) NULL, creation_time TIMESTAMP NULL, PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS TASK_ID_STATE_INDEX ON JOB_STATUS_TRACE_LOG (task_id, state);
CREATE INDEX IF NOT EXISTS JOB_STATUS_TRACE_LOG_CREATION_TIME_INDEX ON JOB_STATUS_TRACE_LOG (creation_time);`;

/** The tables could not be found or created: the database's answer is in `cause`. */
export class SchemaUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the execution log's tables could not be found or created`, { cause });
    this.name = 'SchemaUnavailableError';
  }
}

/** Creates the tables (and their indexes) that are absent; resolves once both are there. */
export async function ensureSchema(pool: TracingPool): Promise<void> {
  try {
    const present = async () =>
      (
        await pool.query(
          "SELECT to_regclass('job_execution_log') IS NOT NULL AS executions, " +
            "to_regclass('job_status_trace_log') IS NOT NULL AS statuses",
        )
      ).rows[0] as { executions: boolean; statuses: boolean };
    const found = await present();
    if (found.executions && found.statuses) return;
    await pool.query(
      'SELECT pg_advisory_xact_lock(1701339214);' +
        (found.executions ? '' : CREATE_EXECUTION_LOG) +
        (found.statuses ? '' : CREATE_STATUS_TRACE_LOG),
    );
  } catch (error) {
    throw new SchemaUnavailableError(error);
  }
}
