import { knownItems } from './execution.service.js';
import { LATCH_TIMEOUT_MS, type JobContext } from './job-context.js';
import { RunOwnership } from './run-ownership.js';

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
   * Finds the items whose `running` (or `failovering`) node belongs to an incarnation that is
   * gone (a crash, an expired session, an instance that closed after leaving) and, with
   * `failover`, flags them under `leader/failover/items`; without it only clears the node.
   * Judged in ZooKeeper under the failover latch, so that of everyone who notices a departure
   * only one acts on each node, and a node is never deleted after another run replaced it.
   * Returns the flagged items.
   */
  async flagStaleItems(failover: boolean): Promise<number[]> {
    const { cache, path, registry } = this.context;
    return registry.executeInLeader(
      path.failoverLatch,
      async () => {
        const ownership = new RunOwnership(registry, path);
        const flagged: number[] = [];
        for (const item of knownItems(this.context)) {
          const running = await registry.getWithStat(path.itemRunning(item));
          const failovering = cache.has(path.itemFailovering(item))
            ? await registry.getWithStat(path.itemFailovering(item))
            : null;
          const runningStale = running !== null && !(await ownership.isLive(running.data, running.stat));
          const failoveringStale =
            failovering !== null && !(await ownership.isLive(failovering.data, failovering.stat));
          if (runningStale && !(await registry.removeIfVersion(path.itemRunning(item), running.stat.version))) continue;
          if (failoveringStale) await registry.removeIfVersion(path.itemFailovering(item), failovering.stat.version);
          // A failover taker that died before its run began: the item still needs its run,
          // unless another run holds it by now.
          const orphaned = runningStale || (failoveringStale && running === null);
          if (!orphaned) continue;
          if (failover) {
            await registry.persist(path.failoverItem(item), '');
            flagged.push(item);
          }
        }
        return flagged;
      },
      LATCH_TIMEOUT_MS,
    );
  }

  hasFlaggedItems(): boolean {
    return (this.context.cache.getChildren(this.context.path.failoverItems) ?? []).length > 0;
  }

  /**
   * Claims every flagged item for this instance on `session` (every write refused once it is
   * gone, so a claim never lands on a later session); returns them (ascending).
   */
  async claim(session: string): Promise<number[]> {
    const { registry, path, identity } = this.context;
    const claimed: number[] = [];
    const bound = { session };
    await registry.executeInLeader(
      path.failoverLatch,
      async () => {
        for (const child of await registry.getChildrenKeys(path.failoverItems)) {
          const item = Number(child);
          if (!Number.isInteger(item)) continue;
          await registry.persistEphemeral(path.itemFailover(item), identity.instanceId, bound);
          await registry.persist(path.itemFailovering(item), identity.instanceId, bound);
          await registry.remove(path.failoverItem(item), bound);
          claimed.push(item);
        }
      },
      LATCH_TIMEOUT_MS,
    );
    return claimed.sort((a, b) => a - b);
  }

  /**
   * After a failover run, whatever its outcome (or when its claim found the item running
   * elsewhere): the item goes back to its normal owner. On the claiming session only.
   */
  async complete(item: number, session: string): Promise<void> {
    const { registry, path } = this.context;
    await registry.remove(path.itemFailover(item), { session });
    await registry.remove(path.itemFailovering(item), { session });
  }

  /** Another instance holds this item as failover (its owner skips it meanwhile). */
  isFailoverElsewhere(item: number): boolean {
    const owner = this.context.cache.get(this.context.path.itemFailover(item));
    return owner !== undefined && owner !== this.context.identity.instanceId;
  }
}
