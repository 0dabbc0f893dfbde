import type { LoggerService } from '@nestjs/common';
import { EVENT_LOOP_BLOCKED } from '../elastic-job.messages.js';

const LOOP_TICK_MS = 100;

/**
 * The ZooKeeper client's heartbeats run on the event loop: a handler that blocks it for a
 * third of the session timeout risks the connection, for the whole timeout the session. Stalls
 * are detected (on the monotonic clock) and logged with the jobs that were running.
 */
export class EventLoopMonitor {
  private timer: NodeJS.Timeout | undefined;
  /** The handler entered last: a synchronous one entered during a stall is what blocked the loop. */
  private lastHandler: { job: string; item: number; at: number } | undefined;

  constructor(
    private readonly sessionTimeoutMs: number,
    private readonly logger: LoggerService,
    /** The items running now, by job. */
    private readonly running: () => Array<{ job: string; items: number[] }>,
  ) {}

  /** A handler is about to be entered. */
  entering(job: string, item: number): void {
    this.lastHandler = { job, item, at: performance.now() };
  }

  start(): void {
    if (this.timer) return;
    const threshold = Math.max(Math.floor(this.sessionTimeoutMs / 3), 200);
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const stall = Math.round(now - last - LOOP_TICK_MS);
      const tickBefore = last;
      last = now;
      if (stall < threshold) return;
      const running = this.running()
        .filter((job) => job.items.length > 0)
        .map((job) => `"${job.job}" (items ${job.items.join(', ')})`);
      // A handler that blocked the loop may be over (or aborted with the session) by now.
      const blocker = this.lastHandler;
      if (running.length === 0 && blocker && blocker.at >= tickBefore) {
        running.push(`"${blocker.job}" (items ${blocker.item})`);
      }
      this.logger.warn(EVENT_LOOP_BLOCKED(stall, this.sessionTimeoutMs, running), 'ElasticJob');
    }, LOOP_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
