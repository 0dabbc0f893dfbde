import type { LoggerService } from '@nestjs/common';
import type { RegistryCenter, TreeCache } from '../registry/registry-center.interface.js';
import type { InstanceIdentity } from './instance-identity.js';
import type { JobNodePath } from './job-node-path.js';

/** What every coordination service of one job shares. */
export interface JobContext {
  readonly path: JobNodePath;
  readonly registry: RegistryCenter;
  readonly identity: InstanceIdentity;
  readonly logger: LoggerService;
  /** The watch-kept copy of `/{job}`: all hot-path reads come from here. */
  readonly cache: TreeCache;
}

/**
 * Resolves true as soon as `predicate` holds (checked on every change of the cache), false
 * after `timeoutMs`. Never polls.
 */
export function waitForCache(cache: TreeCache, predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  if (predicate()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (value: boolean) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    const unsubscribe = cache.addListener(() => {
      if (predicate()) finish(true);
    });
    const timer = setTimeout(() => finish(predicate()), timeoutMs);
  });
}
