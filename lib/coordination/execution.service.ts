import { ITEM_CLAIM_FAILED, RUNNING_CLEAR_RETRYING } from '../elastic-job.messages.js';
import { RegistryClosedError, RegistrySessionExpiredError } from '../errors/registry-operation.error.js';

const RELEASE_MAX_DELAY_MS = 2_000;
import type { JobContext } from './job-context.js';

/**
 * The outcome of claiming an item's `running` node: `claimed` (the handler may start),
 * `busy` (another instance, or an earlier session of this one, holds it) or `lost` (the
 * session the run belongs to is gone, or ZooKeeper could not be reached).
 */
export type RunClaim = 'claimed' | 'busy' | 'lost';

/** The items that have a `sharding/{i}` node, from the cache. */
export function knownItems(context: JobContext): number[] {
  return (context.cache.getChildren(context.path.sharding) ?? []).map(Number).filter(Number.isInteger);
}

/** The `running` nodes of `items`, read from ZooKeeper: item → instance id. */
export async function readRunningOwners(context: JobContext, items: readonly number[]): Promise<Map<number, string>> {
  const { registry, path } = context;
  const owners = await Promise.all(items.map((item) => registry.getDirectly(path.itemRunning(item))));
  const running = new Map<number, string>();
  items.forEach((item, index) => {
    const owner = owners[index];
    if (owner !== null) running.set(item, owner);
  });
  return running;
}

/**
 * `ExecutionService`: `sharding/{i}/running` while an item runs (ephemeral, or persistent
 * when failover is on, so a crash leaves it behind for the survivors), `misfire` and
 * `disabled` flags.
 */
export class ExecutionService {
  constructor(private readonly context: JobContext) {}

  /**
   * The fence: creates the item's `running` node on `session` (ephemeral, or persistent when
   * failover is on, so a crash leaves it behind for the survivors). Only a created node lets a
   * handler start; one that exists is another run's, except one this incarnation itself
   * created (`since`: the czxid of this instance's node on `session`) and never cleared.
   */
  async claimRunning(item: number, persistent: boolean, session: string, since: number): Promise<RunClaim> {
    const { registry, path, identity } = this.context;
    const key = path.itemRunning(item);
    try {
      if (await registry.createIfAbsent(key, identity.instanceId, !persistent, { session })) return 'claimed';
      const existing = await registry.getWithStat(key);
      if (!existing) {
        // Cleared between the two requests: one more try.
        return (await registry.createIfAbsent(key, identity.instanceId, !persistent, { session })) ? 'claimed' : 'busy';
      }
      const ours =
        existing.data === identity.instanceId &&
        (existing.stat.ephemeralOwner === '0' ? existing.stat.czxid > since : existing.stat.ephemeralOwner === session);
      return ours ? 'claimed' : 'busy';
    } catch (error) {
      if (!(error instanceof RegistrySessionExpiredError)) {
        this.context.logger.warn(ITEM_CLAIM_FAILED(path.jobName, item, error), 'ElasticJob');
      }
      return 'lost';
    }
  }

  /**
   * Clears the item's `running` node, on the session that created it only: after that session
   * is lost the node stays, for the survivors to judge and fail over.
   */
  async releaseRunning(item: number, session: string): Promise<void> {
    const { registry, path } = this.context;
    // Retried while the session lasts: a node left behind on a live session would keep the
    // item from everyone else for as long as it lasts.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await registry.remove(path.itemRunning(item), { session });
        return;
      } catch (error) {
        if (error instanceof RegistrySessionExpiredError || error instanceof RegistryClosedError) throw error;
        if (attempt === 0) {
          this.context.logger.warn(RUNNING_CLEAR_RETRYING(path.jobName, item, error), 'ElasticJob');
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, RELEASE_MAX_DELAY_MS)));
      }
    }
  }

  /**
   * Which of `items` have a `running` node, and whose. Read from ZooKeeper: the job's cache
   * does not follow `running`, so that running an item costs one create and one delete.
   */
  runningOwners(items: readonly number[]): Promise<Map<number, string>> {
    return readRunningOwners(this.context, items);
  }

  /** The items that have a `sharding/{i}` node. */
  knownItems(): number[] {
    return knownItems(this.context);
  }

  /** Resolves true once none of `items` runs anywhere, false at the timeout (watch-based). */
  awaitNotRunning(items: readonly number[], timeoutMs: number): Promise<boolean> {
    const { registry, path } = this.context;
    return registry.awaitAbsent(
      items.map((item) => path.itemRunning(item)),
      timeoutMs,
    );
  }

  setMisfire(item: number): Promise<void> {
    return this.context.registry.persist(this.context.path.itemMisfire(item), '');
  }

  clearMisfire(item: number): Promise<void> {
    return this.context.registry.remove(this.context.path.itemMisfire(item));
  }

  isDisabled(item: number): boolean {
    return this.context.cache.has(this.context.path.itemDisabled(item));
  }
}
