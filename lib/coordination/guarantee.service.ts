import type { JobConfiguration } from '../config/job-configuration.js';
import { LATCH_TIMEOUT_MS, type JobContext } from './job-context.js';

export type GuaranteePhase = 'started' | 'completed';

/**
 * How a distribute-once step ended on this instance: it ran the work (`ran`), another instance
 * did (`ran-elsewhere`), it had no item to take part with (`no-items`), or not every item came
 * in time (`timed-out`: nobody ran the work for this fire, and the barrier was cleared).
 */
export type GuaranteeOutcome = 'ran' | 'ran-elsewhere' | 'no-items' | 'timed-out';

/**
 * ElasticJob's `GuaranteeService`, the barrier of its distribute-once listeners, on its own
 * nodes so a Java instance of the job takes part: each instance marks its items of the fire
 * under `guarantee/{phase}/{i}`; the one that finds every item marked runs the work once,
 * under `guarantee/{phase}-latch` and with the marks checked again there, then deletes them;
 * the others wait (a watch) for that deletion, up to the timeout, after which the marks are
 * cleared and nobody runs the work for that fire.
 */
export class GuaranteeService {
  constructor(
    private readonly context: JobContext,
    private readonly config: () => JobConfiguration,
  ) {}

  async once(
    phase: GuaranteePhase,
    items: readonly number[],
    work: () => Promise<void>,
    timeoutMs: number,
    /** How long the work itself may take once every item is marked (the listener's own timeout). */
    workTimeoutMs = 0,
  ): Promise<GuaranteeOutcome> {
    if (items.length === 0) return 'no-items';
    const { registry, path } = this.context;
    const deadline = Date.now() + timeoutMs;
    await Promise.all(items.map((item) => registry.createIfAbsent(path.guaranteeItem(phase, item), '')));
    if (await this.allMarked(phase)) {
      let ran = false;
      await registry.executeInLeader(
        path.guaranteeLatch(phase),
        async () => {
          // Checked again under the mutex: whoever got here first ran it and cleared the marks.
          if (!(await this.allMarked(phase))) return;
          ran = true;
          try {
            await work();
          } finally {
            await registry.remove(path.guarantee(phase));
          }
        },
        Math.max(deadline - Date.now(), LATCH_TIMEOUT_MS),
      );
      return ran ? 'ran' : 'ran-elsewhere';
    }
    if (await registry.awaitAbsent([path.guarantee(phase)], Math.max(deadline - Date.now(), 0))) return 'ran-elsewhere';
    // Every item marked after all: another instance is making the call; it gets its own time.
    if ((await this.allMarked(phase)) && (await registry.awaitAbsent([path.guarantee(phase)], workTimeoutMs + 1_000))) {
      return 'ran-elsewhere';
    }
    await registry.remove(path.guarantee(phase));
    return 'timed-out';
  }

  /** Every item of the job marked (ElasticJob's `isAllStarted` / `isAllCompleted`). */
  private async allMarked(phase: GuaranteePhase): Promise<boolean> {
    const count = this.config().shardingTotalCount;
    const marked = await this.context.registry.getChildrenKeys(this.context.path.guarantee(phase));
    return (
      new Set(marked.map(Number).filter((item) => Number.isInteger(item) && item >= 0 && item < count)).size === count
    );
  }
}
