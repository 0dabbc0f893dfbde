import type { LoggerService } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { InvalidModuleOptionsError } from '../errors/invalid-module-options.error.js';
import type { ElasticJobModuleOptions } from '../interfaces/elastic-job-module-options.interface.js';
import type { JobExecutionDecorator } from '../job-execution.decorator.js';
import { validateZookeeperConfiguration } from '../registry/zookeeper.registry-center.js';
import type { ZookeeperConfiguration } from '../registry/registry-center.interface.js';
import { detectServerIp } from '../coordination/instance-identity.js';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ResolvedModuleOptions {
  zookeeper: ZookeeperConfiguration;
  instanceId: string | undefined;
  serverIp: string;
  overwrite: boolean;
  enabled: boolean;
  runJobs: boolean;
  autoStart: boolean;
  shutdownTimeoutMs: number;
  logger: LoggerService;
  executionDecorator: JobExecutionDecorator | undefined;
}

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
  let zookeeper: ZookeeperConfiguration;
  try {
    zookeeper = validateZookeeperConfiguration(options.zookeeper);
  } catch (error) {
    throw new InvalidModuleOptionsError((error as Error).message);
  }
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
  };
}
