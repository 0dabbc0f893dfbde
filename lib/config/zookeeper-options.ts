import { INVALID_ZOOKEEPER_OPTION, UNKNOWN_OPTION } from '../elastic-job.messages.js';
import { InvalidModuleOptionsError } from '../errors/invalid-module-options.error.js';
import type { ZookeeperConfiguration } from '../interfaces/zookeeper-configuration.interface.js';
import { unknownKeys } from '../utils/closest-name.js';

export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 15_000;

/** The ZooKeeper options with their defaults applied. */
export type ResolvedZookeeperConfiguration = Required<Omit<ZookeeperConfiguration, 'digest'>> & { digest?: string };

const KNOWN: Record<keyof ZookeeperConfiguration, true> = {
  serverLists: true,
  namespace: true,
  sessionTimeoutMs: true,
  connectionTimeoutMs: true,
  digest: true,
};

const SERVER_LIST = /^[^\s,:/]+:\d{1,5}(,[^\s,:/]+:\d{1,5})*$/;

/**
 * Checks the ZooKeeper options and applies their defaults. Throws InvalidModuleOptionsError
 * naming every field that is wrong (an unknown one with the name it is closest to) and what
 * is allowed.
 */
export function resolveZookeeperConfiguration(config: ZookeeperConfiguration): ResolvedZookeeperConfiguration {
  if (!config || typeof config !== 'object') {
    throw new InvalidModuleOptionsError(
      'The ZooKeeper options are missing: give { serverLists: "host:port", namespace: "my-app" }.',
    );
  }
  const problems = unknownKeys(config, Object.keys(KNOWN)).map(({ key, closest }) =>
    UNKNOWN_OPTION('the zookeeper options', key, closest, Object.keys(KNOWN)),
  );
  const serverLists = typeof config.serverLists === 'string' ? config.serverLists.replace(/\s+/g, '') : undefined;
  if (serverLists === undefined || !SERVER_LIST.test(serverLists)) {
    problems.push(
      INVALID_ZOOKEEPER_OPTION('serverLists', config.serverLists, 'a list of "host:port" separated by commas'),
    );
  }
  if (typeof config.namespace !== 'string' || !/^[^/\s]+$/.test(config.namespace)) {
    problems.push(INVALID_ZOOKEEPER_OPTION('namespace', config.namespace, 'a non-empty name without "/" or spaces'));
  }
  const sessionTimeoutMs = config.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  const connectionTimeoutMs = config.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  for (const [field, value] of [
    ['sessionTimeoutMs', sessionTimeoutMs],
    ['connectionTimeoutMs', connectionTimeoutMs],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) {
      problems.push(INVALID_ZOOKEEPER_OPTION(field, value, 'a positive integer number of milliseconds'));
    }
  }
  if (config.digest !== undefined && (typeof config.digest !== 'string' || !/^[^:]+:.+$/.test(config.digest))) {
    problems.push(INVALID_ZOOKEEPER_OPTION('digest', '***', 'the form "user:password"'));
  }
  if (problems.length > 0) throw new InvalidModuleOptionsError(problems.join('\n'));
  return {
    serverLists: serverLists!,
    namespace: config.namespace,
    sessionTimeoutMs,
    connectionTimeoutMs,
    digest: config.digest,
  };
}
