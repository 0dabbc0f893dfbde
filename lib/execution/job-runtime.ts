import type { LoggerService } from '@nestjs/common';
import type { JobConfiguration } from '../config/job-configuration.js';
import { resolveTimeZone } from '../config/time-zone.js';
import type { LocalJobSettings } from '../config/job-options.validator.js';
import type { CoordinatorEvents, JobCoordinator } from '../coordination/job-coordinator.js';
import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  JobExecutionError,
  TimeDiffExceededError,
} from '../errors/job-execution.error.js';
import type { JobExecutionDecorator } from '../job-execution.decorator.js';
import type { ExecutionSource, ShardingContext } from '../interfaces/sharding-context.interface.js';
import { JobTimer } from '../scheduling/job-timer.js';
import { QuartzCron } from '../scheduling/quartz-cron.js';
import type { ResolvedErrorHandler } from './error-handlers.js';
import type { ItemResult, ItemStatus, JobRunResult } from './job-run.interface.js';
import { Semaphore } from './semaphore.js';
import { itemParameters, taskId } from './sharding-context.js';

export type JobHandler = (context: ShardingContext) => unknown;

interface ItemState {
  running: boolean;
  controller?: AbortController;
  /** A fire (or trigger) came while the item ran: run it once more right after. */
  pending?: ExecutionSource;
  /** The fire that found it running (its assignment decides who reruns it). */
  pendingFireTime?: Date;
  /** Resolves when the handler has really returned (it may outlive its timeout). */
  settled?: Promise<void>;
  /** Why it was aborted, when it was. */
  abortReason?: 'shutdown' | 'session';
  /** The write of its `running` node, which its deletion waits for. */
  registered?: Promise<void>;
}

interface RunWaiter {
  source?: ExecutionSource;
  resolve: (result: JobRunResult) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface JobRuntimeDependencies {
  handler: JobHandler;
  coordinator: JobCoordinator;
  local: LocalJobSettings;
  errorHandler: ResolvedErrorHandler;
  decorator: JobExecutionDecorator;
  logger: LoggerService;
  instanceId: string;
  isConnected: () => boolean;
}

const ABORT_GRACE_MS = 1_000;

/**
 * One job on this instance: its timer, its fires, and each local item's run. Items run in
 * parallel (bounded by `maxConcurrentItems`); an item never overlaps itself here: a fire that
 * finds it running sets `misfire` and it runs once more right after (a trigger is queued the
 * same way). Nothing a handler does can stop the timer or reach the process.
 */
export class JobRuntime implements CoordinatorEvents {
  private timer: JobTimer | undefined;
  private readonly items = new Map<number, ItemState>();
  private readonly waiters = new Set<RunWaiter>();
  private readonly semaphore: Semaphore;
  private active = false;
  private missedWhileDisconnected = false;
  /**
   * Items this instance holds and has found free of another instance's `running` node since
   * they became its own: they need no check at each fire. An item new to this instance is
   * checked (one read) until its previous owner has finished it.
   */
  private readonly clearedItems = new Set<number>();

  constructor(
    readonly jobName: string,
    private readonly deps: JobRuntimeDependencies,
  ) {
    this.semaphore = new Semaphore(deps.local.maxConcurrentItems ?? Number.POSITIVE_INFINITY);
  }

  private get coordinator(): JobCoordinator {
    return this.deps.coordinator;
  }

  /** Starts the timer (the job fires from now on). */
  start(): void {
    if (this.active) return;
    const config = this.coordinator.config;
    this.timer = new JobTimer(QuartzCron.parse(config.cron, resolveTimeZone(config.timeZone)), (fireTime) => {
      void this.fire('NORMAL_TRIGGER', fireTime);
    });
    this.active = true;
    this.timer.start();
    this.coordinator.started();
  }

  /** Stops firing; running items go on (see `drain`). */
  stop(): void {
    this.active = false;
    this.timer?.stop();
  }

  /** Items running here now. */
  runningItems(): number[] {
    return [...this.items].filter(([, state]) => state.running).map(([item]) => item);
  }

  /**
   * Waits for running items up to `deadline` (epoch ms), then aborts the rest and gives them
   * a short grace to return.
   */
  async drain(deadline: number): Promise<void> {
    const settled = () => Promise.all([...this.items.values()].map((state) => state.settled).filter(Boolean));
    const remaining = deadline - Date.now();
    if (remaining > 0) await within(settled(), remaining);
    if (this.runningItems().length === 0) return;
    this.abortAll('shutdown', 'the application is shutting down and the drain deadline passed');
    await within(settled(), ABORT_GRACE_MS);
  }

  /** Resolves with the next run on this instance that starts after the call (of `source`, if given). */
  nextRun(options: { source?: ExecutionSource; timeoutMs?: number } = {}): Promise<JobRunResult> {
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const waiter: RunWaiter = {
        source: options.source,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`No run of job "${this.jobName}" completed on this instance within ${timeoutMs} ms.`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  // ------------------------------------------------------------ coordinator events

  onTrigger(): void {
    void this.fire('MANUAL', new Date());
  }

  onConfigurationChanged(previous: JobConfiguration, current: JobConfiguration): void {
    if (previous.cron === current.cron && previous.timeZone === current.timeZone) return;
    try {
      this.timer?.reschedule(QuartzCron.parse(current.cron, resolveTimeZone(current.timeZone)));
    } catch (error) {
      this.deps.logger.error(
        `Job "${this.jobName}": cannot apply the new schedule: ${String(error)}`,
        undefined,
        'ElasticJob',
      );
    }
  }

  onFailoverItems(items: number[]): void {
    if (!this.active) return;
    const config = this.coordinator.config;
    const idle = items.filter((item) => !this.items.get(item)?.running);
    for (const item of items.filter((i) => !idle.includes(i))) {
      const state = this.items.get(item)!;
      state.pending = 'FAILOVER';
      state.pendingFireTime = new Date();
    }
    void this.execute(idle, 'FAILOVER', new Date(), config, config.shardingTotalCount);
  }

  onSessionLost(): void {
    this.clearedItems.clear();
    this.abortAll('session', 'this instance lost its ZooKeeper session, so the item is no longer its own');
  }

  onSessionRestored(): void {
    if (!this.missedWhileDisconnected || !this.active) return;
    this.missedWhileDisconnected = false;
    void this.fire('MISFIRE', new Date());
  }

  // ------------------------------------------------------------ fires

  /** One fire: this instance's items for it. Never rejects. */
  async fire(source: ExecutionSource, fireTime: Date): Promise<JobRunResult | undefined> {
    try {
      if (!this.active) return undefined;
      if (!this.deps.isConnected()) {
        // No new fires without a connection; the missed one runs once when it is back.
        this.missedWhileDisconnected = true;
        this.clearedItems.clear();
        return undefined;
      }
      try {
        await this.coordinator.prepareFire();
      } catch (error) {
        this.deps.logger.warn(`Job "${this.jobName}": preparing the fire failed: ${String(error)}`, 'ElasticJob');
      }
      const config = this.coordinator.config;
      if (config.maxTimeDiffSeconds >= 0 && !(await this.clockTolerable(config))) return undefined;
      const assignment = this.coordinator.assignmentFor(fireTime);
      for (const item of this.clearedItems) if (!assignment.items.includes(item)) this.clearedItems.delete(item);
      const candidates: number[] = [];
      for (const item of assignment.items) {
        const state = this.items.get(item);
        if (state?.running) {
          this.queueAfterRun(item, state, source, fireTime, config);
          continue;
        }
        // Being run elsewhere as failover: its owner leaves it alone meanwhile.
        if (this.coordinator.failover.isFailoverElsewhere(item)) continue;
        candidates.push(item);
      }
      const toRun = config.monitorExecution ? await this.notRunningElsewhere(candidates) : candidates;
      return await this.execute(toRun, source, fireTime, config, assignment.count);
    } catch (error) {
      this.deps.logger.error(`Job "${this.jobName}": a fire failed: ${String(error)}`, undefined, 'ElasticJob');
      return undefined;
    }
  }

  /**
   * The items not still running on their previous owner (moved while it ran them): those are
   * skipped this fire. Only items new to this instance cost a read.
   */
  private async notRunningElsewhere(items: number[]): Promise<number[]> {
    const unchecked = items.filter((item) => !this.clearedItems.has(item));
    if (unchecked.length === 0) return items;
    const elsewhere = await this.coordinator.execution.runningOwners(unchecked);
    const busy = new Set<number>();
    for (const [item, owner] of elsewhere) if (owner !== this.deps.instanceId) busy.add(item);
    for (const item of unchecked) if (!busy.has(item)) this.clearedItems.add(item);
    return items.filter((item) => !busy.has(item));
  }

  /** The clock check; a skew goes to the error handler, and stops the fire only with THROW. */
  private async clockTolerable(config: JobConfiguration): Promise<boolean> {
    try {
      const diff = await this.coordinator.clockDifferenceMs();
      if (Math.abs(diff) <= config.maxTimeDiffSeconds * 1_000) return true;
      await this.deps.errorHandler.handle(
        this.jobName,
        new TimeDiffExceededError(this.jobName, diff, config.maxTimeDiffSeconds),
      );
      return !this.deps.errorHandler.rethrow;
    } catch (error) {
      this.warn('checking the clock against ZooKeeper', error);
      return true;
    }
  }

  private queueAfterRun(
    item: number,
    state: ItemState,
    source: ExecutionSource,
    fireTime: Date,
    config: JobConfiguration,
  ): void {
    if (source === 'MANUAL') {
      state.pending = 'MANUAL';
      state.pendingFireTime = fireTime;
      return;
    }
    if (!config.misfire || state.pending) return;
    state.pending = 'MISFIRE';
    state.pendingFireTime = fireTime;
    this.coordinator.execution
      .setMisfire(item)
      .catch((error: unknown) => this.warn(`setting misfire on item ${item}`, error));
  }

  private async execute(
    items: number[],
    source: ExecutionSource,
    fireTime: Date,
    config: JobConfiguration,
    shardingTotalCount: number,
  ): Promise<JobRunResult> {
    const id = taskId(this.jobName, items, this.deps.instanceId);
    const waiters = [...this.waiters].filter((waiter) => !waiter.source || waiter.source === source);
    for (const waiter of waiters) this.waiters.delete(waiter);
    const parameters = itemParameters(config);
    const results = await Promise.all(
      items.map((item) => this.runItem(item, source, fireTime, id, config, shardingTotalCount, parameters.get(item))),
    );
    const run: JobRunResult = { jobName: this.jobName, taskId: id, executionSource: source, fireTime, items: results };
    const failures = results.filter((r) => r.status !== 'SUCCEEDED').map((r) => ({ item: r.item, error: r.error }));
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      if (failures.length > 0 && this.deps.errorHandler.rethrow)
        waiter.reject(new JobExecutionError(this.jobName, failures));
      else waiter.resolve(run);
    }
    return run;
  }

  private runItem(
    item: number,
    source: ExecutionSource,
    fireTime: Date,
    id: string,
    config: JobConfiguration,
    shardingTotalCount: number,
    parameter: string | undefined,
  ): Promise<ItemResult> {
    const state = this.items.get(item) ?? { running: false };
    this.items.set(item, state);
    state.running = true;
    state.abortReason = undefined;
    const controller = new AbortController();
    state.controller = controller;
    let markSettled!: () => void;
    state.settled = new Promise<void>((resolve) => (markSettled = resolve));

    const context: ShardingContext = {
      jobName: this.jobName,
      taskId: id,
      shardingTotalCount,
      jobParameter: config.jobParameter,
      shardingItem: item,
      shardingParameter: parameter,
      executionSource: source,
      fireTime,
      signal: controller.signal,
    };

    const result = (async (): Promise<{ result: ItemResult; handlerDone: Promise<unknown> }> => {
      const release = await this.semaphore.acquire();
      const startedAt = new Date();
      const finish = (status: ItemStatus, extra: { result?: unknown; error?: unknown }): ItemResult => ({
        item,
        status,
        ...extra,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
      });
      let handlerDone: Promise<unknown> = Promise.resolve();
      try {
        if (config.monitorExecution) {
          // Written as the handler starts rather than before it: a hundred items of one fire
          // would otherwise wait, in line at the server, for a hundred creates. A failed
          // write leaves the run without failover protection; it is logged, the run goes on.
          state.registered = this.coordinator.execution
            .registerBegin(item, config.failover)
            .catch((error: unknown) => this.warn(`writing running on item ${item}`, error));
        }
        if (controller.signal.aborted) throw controller.signal.reason;
        const invoke = () => Promise.resolve().then(() => this.deps.handler(context));
        const handlerPromise = Promise.resolve().then(() => this.deps.decorator.decorate(invoke, context)());
        handlerDone = handlerPromise.then(
          () => undefined,
          () => undefined,
        );
        const outcome = await this.race(handlerPromise, controller, item);
        if (outcome.ok) return { result: finish('SUCCEEDED', { result: outcome.value }), handlerDone };
        const status: ItemStatus =
          outcome.error instanceof ExecutionTimeoutError
            ? 'TIMED_OUT'
            : outcome.error instanceof ExecutionAbortedError
              ? 'ABORTED'
              : 'FAILED';
        await this.deps.errorHandler.handle(this.jobName, outcome.error, context);
        return { result: finish(status, { error: outcome.error }), handlerDone };
      } catch (error) {
        await this.deps.errorHandler.handle(this.jobName, error, context);
        const status: ItemStatus = error instanceof ExecutionAbortedError ? 'ABORTED' : 'FAILED';
        return { result: finish(status, { error }), handlerDone };
      } finally {
        release();
      }
    })();

    // The item stays ours (and `running`) until its handler has really returned.
    const completed = result.then(async ({ handlerDone }) => {
      await handlerDone;
      await this.completeItem(item, state, config, source);
      markSettled();
    });
    return result.then(async ({ result: itemResult }) => {
      // A run whose handler returned is reported once its cleanup is done, so the next fire or
      // trigger finds the item free; one that timed out or was aborted is reported at once
      // (its handler may go on).
      if (itemResult.status === 'SUCCEEDED' || itemResult.status === 'FAILED') await completed;
      return itemResult;
    });
  }

  /** Resolves with the handler's outcome, its timeout, or its abort, whichever comes first. */
  private race(
    handler: Promise<unknown>,
    controller: AbortController,
    item: number,
  ): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
    return new Promise((resolve) => {
      const timeoutMs = this.deps.local.executionTimeoutMs;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => controller.abort(new ExecutionTimeoutError(this.jobName, item, timeoutMs)), timeoutMs);
      const onAbort = () => {
        if (timer) clearTimeout(timer);
        resolve({ ok: false, error: controller.signal.reason });
      };
      controller.signal.addEventListener('abort', onAbort, { once: true });
      handler.then(
        (value) => {
          if (timer) clearTimeout(timer);
          controller.signal.removeEventListener('abort', onAbort);
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          if (timer) clearTimeout(timer);
          controller.signal.removeEventListener('abort', onAbort);
          resolve({ ok: false, error });
        },
      );
    });
  }

  private async completeItem(
    item: number,
    state: ItemState,
    config: JobConfiguration,
    source: ExecutionSource,
  ): Promise<void> {
    // After a lost session the node belonged to the old session; after a shutdown abort with
    // failover on, it is left for the survivors to take the item over.
    const keepRunningNode = state.abortReason === 'session' || (state.abortReason === 'shutdown' && config.failover);
    await state.registered;
    state.registered = undefined;
    if (config.monitorExecution && !keepRunningNode) {
      await this.coordinator.execution
        .registerComplete(item)
        .catch((error: unknown) => this.warn(`clearing running on item ${item}`, error));
    }
    if (source === 'FAILOVER' && !keepRunningNode) {
      await this.coordinator.failover
        .complete(item)
        .catch((error: unknown) => this.warn(`clearing failover on item ${item}`, error));
    }
    state.running = false;
    state.controller = undefined;
    const pending = state.pending;
    const pendingFireTime = state.pendingFireTime ?? new Date();
    state.pending = undefined;
    state.pendingFireTime = undefined;
    if (!pending) return;
    const current = this.coordinator.config;
    if (pending === 'MISFIRE') {
      await this.coordinator.execution
        .clearMisfire(item)
        .catch((error: unknown) => this.warn(`clearing misfire on item ${item}`, error));
      if (!current.misfire) return;
    }
    // Rerun only what the overlapped fire gave this instance (a failover claim is ours anyway).
    const assignment = this.coordinator.assignmentFor(pendingFireTime);
    if (!this.active || (pending !== 'FAILOVER' && !assignment.items.includes(item))) return;
    const count = pending === 'FAILOVER' ? current.shardingTotalCount : assignment.count;
    void this.execute([item], pending, new Date(), current, count).catch((error: unknown) =>
      this.warn(`re-running item ${item}`, error),
    );
  }

  private abortAll(reason: 'shutdown' | 'session', message: string): void {
    for (const [item, state] of this.items) {
      if (!state.running || !state.controller || state.controller.signal.aborted) continue;
      state.abortReason = reason;
      state.controller.abort(new ExecutionAbortedError(this.jobName, item, message));
    }
  }

  private warn(what: string, error: unknown): void {
    this.deps.logger.warn(`Job "${this.jobName}": ${what} failed: ${String(error)}`, 'ElasticJob');
  }
}

/** Waits for `promise` at most `ms`, leaving no timer behind. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
