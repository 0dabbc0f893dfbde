import type { JobContext } from './job-context.js';

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

  async registerBegin(item: number, persistent: boolean): Promise<void> {
    const { registry, path, identity } = this.context;
    if (!persistent) return registry.persistEphemeral(path.itemRunning(item), identity.instanceId);
    // Usually absent: create first (one request), overwrite what a crash left behind.
    const created = await registry.createIfAbsent(path.itemRunning(item), identity.instanceId);
    if (!created) await registry.persist(path.itemRunning(item), identity.instanceId);
  }

  registerComplete(item: number): Promise<void> {
    return this.context.registry.remove(this.context.path.itemRunning(item));
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
