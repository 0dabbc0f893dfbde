import { MAX_TIMEOUT_MS } from '../utils/long-timeout.js';
import type { QuartzCron } from './quartz-cron.js';

/**
 * One job's local timer: sleeps until the next Quartz fire time and calls `onFire(fireTime)`
 * with the scheduled time (not the time it woke up). Fire times missed while the event loop
 * was blocked collapse into the one fire that comes late; the next one is computed from now.
 */
export class JobTimer {
  private handle: NodeJS.Timeout | undefined;
  private next: Date | undefined;
  private running = false;

  constructor(
    private cron: QuartzCron,
    private readonly onFire: (fireTime: Date) => void,
  ) {}

  /** Fires from `from` on (now by default); fires already past collapse into one late fire. */
  start(from: Date = new Date()): void {
    if (this.running) return;
    this.running = true;
    this.scheduleAfter(from);
  }

  stop(): void {
    this.running = false;
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.next = undefined;
  }

  reschedule(cron: QuartzCron): void {
    this.cron = cron;
    if (!this.running) return;
    if (this.handle) clearTimeout(this.handle);
    this.scheduleAfter(new Date());
  }

  private scheduleAfter(after: Date): void {
    this.next = this.cron.next(after);
    this.arm();
  }

  private arm(): void {
    if (!this.running || !this.next) return;
    const delay = Math.min(Math.max(this.next.getTime() - Date.now(), 0), MAX_TIMEOUT_MS);
    this.handle = setTimeout(() => this.wake(), delay);
  }

  private wake(): void {
    this.handle = undefined;
    const fireTime = this.next;
    if (!this.running || !fireTime) return;
    if (Date.now() < fireTime.getTime() - 1) {
      this.arm();
      return;
    }
    const now = new Date();
    const following = this.cron.next(fireTime);
    this.scheduleAfter(following && following.getTime() > now.getTime() ? fireTime : now);
    this.onFire(fireTime);
  }
}
