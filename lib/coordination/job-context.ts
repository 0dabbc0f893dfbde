import type { LoggerService } from '@nestjs/common';
import type { JobConfiguration } from '../config/job-configuration.js';
import type { JobEventSink } from '../events/job-event-sink.js';
import type { RegistryCenter, TreeCache } from '../registry/registry-center.interface.js';
import type { InstanceIdentity } from './instance-identity.js';
import type { JobNodePath } from './job-node-path.js';

/** How long a coordination step waits for one of the job's latches (election, failover). */
export const LATCH_TIMEOUT_MS = 30_000;

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

/**
 * What the concepts of one job (resharding, failover, leadership, reconcile) share with the
 * coordinator that composes them: the context, the configuration in force, the coordinator's
 * state, and where they tell what they did.
 */
export interface JobScope extends JobContext {
  readonly jobName: string;
  /** The configuration that runs. */
  config(): JobConfiguration;
  /** Joined and not leaving: this instance takes items, elects and judges. */
  readonly takingItems: boolean;
  /** Leaving or closed: background work stops and cache events are ignored. */
  readonly stopping: boolean;
  /** The session items may start on now (see `JobCoordinator.liveSession`). */
  liveSession(): string | undefined;
  /** Runs `work` without waiting for it; a failure is logged (unless stopping). */
  background(what: string, work: () => Promise<void>): void;
  readonly emit: JobEventSink;
}
