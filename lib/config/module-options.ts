import type { LoggerService } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { InvalidModuleOptionsError } from '../errors/invalid-module-options.error.js';
import type { ElasticJobModuleOptions } from '../interfaces/elastic-job-module-options.interface.js';
import type { ExecutionDecorator } from '../interfaces/execution-decorator.interface.js';
import { UNKNOWN_OPTION } from '../elastic-job.messages.js';
import { detectServerIp } from '../utils/server-ip.js';
import { unknownKeys } from '../utils/closest-name.js';
import { resolveTracingConfiguration, type ResolvedTracingConfiguration } from '../tracing/tracing-options.js';
import { resolveZookeeperConfiguration, type ResolvedZookeeperConfiguration } from './zookeeper-options.js';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ResolvedModuleOptions {
  zookeeper: ResolvedZookeeperConfiguration;
  instanceId: string | undefined;
  serverIp: string;
  overwrite: boolean;
  enabled: boolean;
  runJobs: boolean;
  autoStart: boolean;
  shutdownTimeoutMs: number;
  logger: LoggerService;
  executionDecorator: ExecutionDecorator | undefined;
  tracing: ResolvedTracingConfiguration | undefined;
}

const KNOWN: Record<keyof ElasticJobModuleOptions, true> = {
  zookeeper: true,
  instanceId: true,
  serverIp: true,
  overwrite: true,
  enabled: true,
  runJobs: true,
  autoStart: true,
  shutdownTimeoutMs: true,
  logger: true,
  executionDecorator: true,
  tracing: true,
};
/** `isGlobal` is `forRoot`'s own, and may reach a factory's result too. */
const MODULE_OPTION_KEYS: readonly string[] = [...Object.keys(KNOWN), 'isGlobal'];

/** A logger that drops everything (`logger: false`). */
const SILENT: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Defaults applied and everything checked, in one place for `forRoot` and `forRootAsync`. */
export function resolveModuleOptions(options: ElasticJobModuleOptions | undefined): ResolvedModuleOptions {
  if (!options || typeof options !== 'object') {
    throw new InvalidModuleOptionsError(
      'ElasticJobModule options are missing: give at least { zookeeper: { serverLists, namespace } }.',
    );
  }
  if (!options.zookeeper || typeof options.zookeeper !== 'object') {
    throw new InvalidModuleOptionsError(
      'ElasticJobModule option "zookeeper" is missing: give { serverLists: "host:port", namespace: "my-app" }.',
    );
  }
  const unknown = unknownKeys(options, MODULE_OPTION_KEYS);
  if (unknown.length > 0) {
    throw new InvalidModuleOptionsError(
      unknown
        .map(({ key, closest }) => UNKNOWN_OPTION('the ElasticJobModule options', key, closest, MODULE_OPTION_KEYS))
        .join('\n'),
    );
  }
  const zookeeper = resolveZookeeperConfiguration(options.zookeeper);
  const check = (ok: boolean, field: string, value: unknown, allowed: string) => {
    if (!ok)
      throw new InvalidModuleOptionsError(
        `Invalid ElasticJobModule option ${field} ${JSON.stringify(value)}: ${allowed}.`,
      );
  };
  const { instanceId, serverIp, shutdownTimeoutMs } = options;
  check(
    instanceId === undefined || (typeof instanceId === 'string' && /^[^/\s]+$/.test(instanceId)),
    'instanceId',
    instanceId,
    'a non-empty id without "/" or spaces',
  );
  check(
    serverIp === undefined || (typeof serverIp === 'string' && /^[^/\s]+$/.test(serverIp)),
    'serverIp',
    serverIp,
    'an IP address',
  );
  check(
    shutdownTimeoutMs === undefined || (Number.isInteger(shutdownTimeoutMs) && shutdownTimeoutMs >= 0),
    'shutdownTimeoutMs',
    shutdownTimeoutMs,
    'a non-negative integer number of milliseconds',
  );
  for (const flag of ['overwrite', 'enabled', 'runJobs', 'autoStart'] as const) {
    check(options[flag] === undefined || typeof options[flag] === 'boolean', flag, options[flag], 'true or false');
  }
  return {
    zookeeper,
    instanceId,
    serverIp: serverIp ?? detectServerIp(),
    overwrite: options.overwrite ?? false,
    enabled: options.enabled ?? true,
    runJobs: options.runJobs ?? true,
    autoStart: options.autoStart ?? true,
    shutdownTimeoutMs: shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    logger: options.logger === false ? SILENT : (options.logger ?? new Logger()),
    executionDecorator: options.executionDecorator,
    tracing: resolveTracingConfiguration(options.tracing),
  };
}
