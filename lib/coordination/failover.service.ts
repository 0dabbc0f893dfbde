import { knownItems, readRunningOwners } from './execution.service.js';
import type { JobContext } from './job-context.js';

const LATCH_TIMEOUT_MS = 30_000;

/**
 * `FailoverService` (ElasticJob 3.x protocol): the items a crashed instance was running are
 * flagged under `leader/failover/items`; live instances claim them under
 * `leader/failover/latch` with `sharding/{i}/failover` (ephemeral) and `failovering`
 * (persistent), run them at once, and clean up after. Unlike ElasticJob, a claim takes every
 * flagged item, not one per completed run.
 */
export class FailoverService {
  constructor(private readonly context: JobContext) {}

  /**
   * Flags what `instanceId` was running when it died: items it was failing over (its
   * `failovering`), else items whose `running` node names it. Returns the flagged items.
   */
  async flagCrashedItems(instanceId: string): Promise<number[]> {
    const { cache, path, registry } = this.context;
    const items = knownItems(this.context);
    const failovering = items.filter((item) => cache.get(path.itemFailovering(item)) === instanceId);
    // `running` is not in the cache (it changes on every fire): read it once, here.
    const running = failovering.length > 0 ? new Map<number, string>() : await readRunningOwners(this.context, items);
    const crashed = failovering.length > 0 ? failovering : items.filter((item) => running.get(item) === instanceId);
    const flagged: number[] = [];
    for (const item of crashed) {
      // Someone already runs it as failover.
      if (cache.has(path.itemFailover(item)) && failovering.length === 0) continue;
      await registry.persist(path.failoverItem(item), '');
      await registry.remove(path.itemRunning(item));
      if (failovering.length > 0) await registry.remove(path.itemFailovering(item));
      flagged.push(item);
    }
    return flagged;
  }

  hasFlaggedItems(): boolean {
    return (this.context.cache.getChildren(this.context.path.failoverItems) ?? []).length > 0;
  }

  /** Claims every flagged item for this instance; returns them (ascending). */
  async claim(): Promise<number[]> {
    const { registry, path, identity } = this.context;
    const claimed: number[] = [];
    await registry.executeInLeader(
      path.failoverLatch,
      async () => {
        for (const child of await registry.getChildrenKeys(path.failoverItems)) {
          const item = Number(child);
          if (!Number.isInteger(item)) continue;
          await registry.persistEphemeral(path.itemFailover(item), identity.instanceId);
          await registry.persist(path.itemFailovering(item), identity.instanceId);
          await registry.remove(path.failoverItem(item));
          claimed.push(item);
        }
      },
      LATCH_TIMEOUT_MS,
    );
    return claimed.sort((a, b) => a - b);
  }

  /** After a failover run, whatever its outcome: the item goes back to its normal owner. */
  async complete(item: number): Promise<void> {
    const { registry, path } = this.context;
    await registry.remove(path.itemFailover(item));
    await registry.remove(path.itemFailovering(item));
  }

  /** Another instance holds this item as failover (its owner skips it meanwhile). */
  isFailoverElsewhere(item: number): boolean {
    const owner = this.context.cache.get(this.context.path.itemFailover(item));
    return owner !== undefined && owner !== this.context.identity.instanceId;
  }
}
