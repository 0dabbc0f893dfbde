/**
 * The part of a `pg.Pool` (or `pg.Client`) the execution log uses: the app's own pool fits as
 * it is.
 */
export interface TracingPool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** A `pg` pool configuration (`new Pool(config)`): host, port, user, database, ssl, max, ... */
export interface TracingPoolConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string | (() => string | Promise<string>);
  database?: string;
  ssl?: unknown;
  max?: number;
  [option: string]: unknown;
}

/**
 * The execution log, ElasticJob's event tracing to a database (`TracingConfiguration("RDB",
 * dataSource)`): every item run and status change in `JOB_EXECUTION_LOG` and
 * `JOB_STATUS_TRACE_LOG` in PostgreSQL, through the `pg` package.
 */
export interface TracingConfiguration {
  type: 'RDB';
  /** The app's own `pg.Pool` (left open at shutdown), a pool configuration, or a connection string. */
  dataSource: TracingPool | TracingPoolConfig | string;
  /** Rows older than this many days are deleted, in small batches, every hour. Default: kept forever. */
  retentionDays?: number;
  /** Rows waiting to be written, at most; past that, new ones are dropped and counted. Default 10000. */
  maxQueuedRows?: number;
  /** Rows per statement, at most. Default 500. */
  batchSize?: number;
  /** How long a row may wait for more to write with it, in ms. Default 200. */
  flushIntervalMs?: number;
}
