import type { TracingPool } from '../interfaces/tracing-configuration.interface.js';

/**
 * ElasticJob's two tables for PostgreSQL, with its names, columns and types (unquoted, so
 * PostgreSQL folds the names to lower case, as it does for the tables a Java instance
 * creates), and its index; plus two indexes of ours on the times, for history queries and
 * retention. Created when absent, under an advisory lock so that instances starting together
 * do not race. Sent as one simple query: PostgreSQL runs it as one transaction.
 */
export const SCHEMA_SQL = `
SELECT pg_advisory_xact_lock(1701339214);
CREATE TABLE IF NOT EXISTS JOB_EXECUTION_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, task_id VARCHAR(255) NOT NULL, hostname VARCHAR(255) NOT NULL, ip VARCHAR(50) NOT NULL, sharding_item INT NOT NULL, execution_source VARCHAR(20) NOT NULL, failure_cause VARCHAR(4000) NULL, is_success BOOLEAN NOT NULL, start_time TIMESTAMP NULL, complete_time TIMESTAMP NULL, PRIMARY KEY (id));
CREATE TABLE IF NOT EXISTS JOB_STATUS_TRACE_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, original_task_id VARCHAR(255) NOT NULL, task_id VARCHAR(255) NOT NULL, slave_id VARCHAR(50) NOT NULL, execution_type VARCHAR(20) NOT NULL, sharding_item VARCHAR(100) NOT NULL, state VARCHAR(20) NOT NULL, message VARCHAR(4000) NULL, creation_time TIMESTAMP NULL, PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS TASK_ID_STATE_INDEX ON JOB_STATUS_TRACE_LOG (task_id, state);
CREATE INDEX IF NOT EXISTS JOB_EXECUTION_LOG_START_TIME_INDEX ON JOB_EXECUTION_LOG (start_time);
CREATE INDEX IF NOT EXISTS JOB_STATUS_TRACE_LOG_CREATION_TIME_INDEX ON JOB_STATUS_TRACE_LOG (creation_time);
`;

/** Creates the tables and indexes that are absent. */
export async function ensureSchema(pool: TracingPool): Promise<void> {
  await pool.query(SCHEMA_SQL);
}
