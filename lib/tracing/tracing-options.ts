import { InvalidModuleOptionsError } from '../errors/invalid-module-options.error.js';
import { UNKNOWN_OPTION } from '../elastic-job.messages.js';
import type {
  TracingConfiguration,
  TracingPool,
  TracingPoolConfig,
} from '../interfaces/tracing-configuration.interface.js';
import { unknownKeys } from '../utils/closest-name.js';

export interface ResolvedTracingConfiguration {
  /** The app's pool (left open), or how to make ours. */
  dataSource: { pool: TracingPool } | { config: TracingPoolConfig };
  retentionDays: number | undefined;
  maxQueuedRows: number;
  batchSize: number;
  flushIntervalMs: number;
}

const KNOWN: Record<keyof TracingConfiguration, true> = {
  type: true,
  dataSource: true,
  retentionDays: true,
  maxQueuedRows: true,
  batchSize: true,
  flushIntervalMs: true,
};
const KEYS = Object.keys(KNOWN);

/** A multi-row statement holds at most 65535 parameters; a row has 11. */
const MAX_BATCH_SIZE = 5_000;

function invalid(field: string, value: unknown, allowed: string): never {
  const shown = typeof value === 'function' ? 'a function' : JSON.stringify(value);
  throw new InvalidModuleOptionsError(
    `Invalid ElasticJobModule option tracing${field ? `.${field}` : ''} ${shown}: ${allowed}.`,
  );
}

function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    invalid(field, value, `an integer from ${min} to ${max}`);
  }
  return value as number;
}

/** The execution log's options, checked and with their defaults; undefined without `tracing`. */
export function resolveTracingConfiguration(tracing: unknown): ResolvedTracingConfiguration | undefined {
  if (tracing === undefined) return undefined;
  if (!tracing || typeof tracing !== 'object') {
    invalid('', tracing, '{ type: "RDB", dataSource } (a pg.Pool, a pool configuration or a connection string)');
  }
  const unknown = unknownKeys(tracing, KEYS);
  if (unknown.length > 0) {
    throw new InvalidModuleOptionsError(
      unknown.map(({ key, closest }) => UNKNOWN_OPTION('the tracing options', key, closest, KEYS)).join('\n'),
    );
  }
  const options = tracing as TracingConfiguration;
  if (options.type !== 'RDB') invalid('type', options.type, 'the only type is "RDB" (PostgreSQL, through pg)');
  const source = options.dataSource as unknown;
  let dataSource: ResolvedTracingConfiguration['dataSource'];
  if (typeof source === 'string') {
    if (!/^postgres(ql)?:\/\//.test(source)) {
      invalid(
        'dataSource',
        source.replace(/:[^:@/]*@/, ':***@'),
        'a connection string starts with postgres:// or postgresql://',
      );
    }
    dataSource = { config: { connectionString: source } };
  } else if (source && typeof source === 'object' && typeof (source as TracingPool).query === 'function') {
    dataSource = { pool: source as TracingPool };
  } else if (source && typeof source === 'object' && !Array.isArray(source)) {
    dataSource = { config: { ...(source as TracingPoolConfig) } };
  } else {
    invalid('dataSource', source, 'a pg.Pool, a pg pool configuration, or a postgres:// connection string');
  }
  const retentionDays = options.retentionDays;
  if (
    retentionDays !== undefined &&
    (typeof retentionDays !== 'number' ||
      !Number.isFinite(retentionDays) ||
      retentionDays < 0.01 ||
      retentionDays > 36_500)
  ) {
    invalid('retentionDays', retentionDays, 'a number of days from 0.01 to 36500 (leave it out to keep every row)');
  }
  return {
    dataSource,
    retentionDays,
    maxQueuedRows: integer(options.maxQueuedRows, 'maxQueuedRows', 1, 10_000_000, 10_000),
    batchSize: integer(options.batchSize, 'batchSize', 1, MAX_BATCH_SIZE, 500),
    flushIntervalMs: integer(options.flushIntervalMs, 'flushIntervalMs', 0, 60_000, 200),
  };
}
