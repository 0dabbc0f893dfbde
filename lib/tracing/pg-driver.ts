import { InvalidModuleOptionsError } from '../errors/invalid-module-options.error.js';
import { TRACING_NEEDS_PG } from '../elastic-job.messages.js';
import type { TracingPool, TracingPoolConfig } from '../interfaces/tracing-configuration.interface.js';
import { requireOptional } from '../utils/optional-package.js';

/** A pool of our own: what we use of it, and its end. */
export interface OwnPool extends TracingPool {
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
}

/**
 * A `pg` pool for the configuration. The package is an optional peer, loaded only here, only
 * when the execution log is configured: an app without it loads nothing of it.
 */
export function createPool(config: TracingPoolConfig): OwnPool {
  let pg: { Pool: new (config: TracingPoolConfig) => OwnPool };
  try {
    pg = requireOptional<typeof pg>('pg');
  } catch (error) {
    throw new InvalidModuleOptionsError(TRACING_NEEDS_PG, { cause: error });
  }
  return new pg.Pool({
    // A database that does not answer fails a write in time, to be retried; never a fire.
    connectionTimeoutMillis: 5_000,
    query_timeout: 30_000,
    max: 4,
    ...config,
  });
}
