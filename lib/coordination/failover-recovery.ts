import type { CacheEvent } from '../registry/registry-center.interface.js';
import type { FailoverService } from './failover.service.js';
import type { JobScope } from './job-context.js';

const STALE_RUNS_RETRY_MS = 1_000;

/**
 * Failover, with orphan recovery: the `running` and `failovering` nodes of incarnations that are
 * gone (a crash, an expired session, a crash nobody saw such as the only instance restarting)
 * would block their items for ever. They are judged whenever a departure is seen and when the
 * job starts firing; with failover the items are flagged and claimed by a live instance, which
 * runs them at once; without it the nodes are only cleared.
 */
export class FailoverRecovery {
  private judging = false;
  private noticed = false;

  constructor(
    private readonly scope: JobScope,
    private readonly failover: FailoverService,
    /** Claimed items, to run now on `session` (source `FAILOVER`). */
    private readonly run: (items: number[], session: string) => void,
  ) {}

  /** Departures (a crash, an expired session, the end of a graceful leave) and flagged items. */
  listen(): () => void {
    const { path } = this.scope;
    return this.scope.cache.addListener(({ key, type }: CacheEvent) => {
      if (this.scope.stopping) return;
      // Whatever the order the cache reports these in, what the departed runs left is judged.
      if (type === 'removed' && (key.startsWith(`${path.instances}/`) || key.startsWith(`${path.leavingInstances}/`))) {
        this.judge();
      } else if (type === 'added' && key.startsWith(`${path.failoverItems}/`)) {
        this.scope.background('failover claim', () => this.claim());
      }
    });
  }

  /**
   * Judges the nodes left by incarnations that are gone; one judgement at a time, and once
   * more after it when a departure was noticed meanwhile (it may postdate what it read).
   * `evenWithoutFailover`: an item's fence found a node in its way, which is judged even with
   * failover off (a persistent node left from when it was on).
   */
  judge(evenWithoutFailover = false): void {
    const { scope } = this;
    // Without failover, running nodes are ephemeral and leave with their session.
    if (!scope.takingItems || (!scope.config().failover && !evenWithoutFailover)) return;
    this.noticed = true;
    if (this.judging) return;
    this.judging = true;
    scope.background('failover', async () => {
      try {
        while (this.noticed && !scope.stopping) {
          this.noticed = false;
          await this.failover.flagStaleItems(scope.config().failover);
          await this.claim();
        }
      } catch (error) {
        // Judged again a little later: a stale node left unjudged would block its item.
        const retry = setTimeout(() => this.judge(evenWithoutFailover), STALE_RUNS_RETRY_MS);
        retry.unref();
        throw error;
      } finally {
        this.judging = false;
      }
    });
  }

  /** Claims every flagged item and has it run here. */
  private async claim(): Promise<void> {
    const { scope } = this;
    if (!scope.takingItems || !scope.config().failover) return;
    const session = scope.liveSession();
    if (!session) return;
    await scope.cache.sync();
    if (!this.failover.hasFlaggedItems()) return;
    const items = await this.failover.claim(session);
    if (items.length === 0) return;
    scope.emit({ type: 'failover-claimed', job: scope.jobName, items });
    this.run(items, session);
  }
}
