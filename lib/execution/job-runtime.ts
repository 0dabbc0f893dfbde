import { randomUUID } from 'node:crypto';
import {
  ABORTED_AT_SHUTDOWN,
  ABORTED_SESSION_AT_RISK,
  ABORTED_SESSION_LOST,
  JOB_STEP_FAILED,
} from '../elastic-job.messages.js';
import type { LoggerService } from '@nestjs/common';
import type { JobConfiguration } from '../config/job-configuration.js';
import type { LocalJobSettings } from '../config/job-options.validator.js';
import type { CoordinationListener, ItemLease, JobCoordinationPort } from '../coordination/job-coordination.port.js';
import type { JobEventSink } from '../events/job-event-sink.js';
import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  JobExecutionError,
  TimeDiffExceededError,
} from '../errors/job-execution.error.js';
import { RegistrySessionExpiredError } from '../errors/registry-operation.error.js';
import { RunWaitTimeoutError } from '../errors/run-wait-timeout.error.js';
import type { ExecutionDecorator } from '../interfaces/execution-decorator.interface.js';
import type { ExecutionSource, ShardingContext, ShardingContexts } from '../interfaces/sharding-context.interface.js';
import { JobListenerChain, type ResolvedJobListener } from './job-listeners.js';
import type { TriggerOptions } from '../interfaces/trigger-options.interface.js';
import { JobTimer } from '../scheduling/job-timer.js';
import { scheduleOf } from '../scheduling/job-schedule.js';
import type { ResolvedErrorHandler } from './error-handlers.js';
import type { ItemStatus } from '../interfaces/job-event.interface.js';
import type { ItemResult, JobRunResult } from '../interfaces/job-run-result.interface.js';
import { Semaphore } from './semaphore.js';
import { itemParameters, taskId } from './sharding-context.js';
import { within } from '../utils/within.js';

export type JobHandler = (context: ShardingContext) => unknown;

interface ItemState {
  running: boolean;
  controller?: AbortController;
  /** A fire (or trigger) came while the item ran: run it once more right after. */
  pending?: ExecutionSource;
  /** The fire that found it running (its assignment decides who reruns it). */
  pendingFireTime?: Date;
  /** The session the pending rerun was decided on: dropped when that session is lost. */
  pendingSession?: string;
  /** The task id of the fire the rerun belongs to (a misfire rerun is part of its task). */
  pendingTaskId?: string;
  /** A queued trigger's own job parameter. */
  pendingJobParameter?: string;
  /** Triggers waiting for the queued rerun's result (it belongs to their run). */
  pendingResults?: Array<(result: ItemResult | undefined) => void>;
  /** Resolves when the handler has really returned (it may outlive its timeout). */
  settled?: Promise<void>;
  /** Why it was aborted, when it was. */
  abortReason?: 'shutdown' | 'session';
}

interface RunWaiter {
  source?: ExecutionSource;
  resolve: (result: JobRunResult) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface JobRuntimeDependencies {
  handler: JobHandler;
  /** What the runtime asks of coordination, and how it is told what coordination sees. */
  port: JobCoordinationPort;
  local: LocalJobSettings;
  errorHandler: ResolvedErrorHandler;
  decorator: ExecutionDecorator;
  logger: LoggerService;
  instanceId: string;
  /** Called as the handler is entered (what blocked the event loop, if anything did). */
  enteringHandler?: (item: number) => void;
  /** Where fires and item runs are told. */
  emit: JobEventSink;
  /** The job's local listeners, in order. */
  listeners?: readonly ResolvedJobListener[];
}

const ABORT_GRACE_MS = 1_000;

/**
 * One job on this instance: its timer, its fires, and each local item's run. Items run in
 * parallel (bounded by `maxConcurrentItems`); an item never overlaps itself here: a fire that
 * finds it running sets `misfire` and it runs once more right after (a trigger is queued the
 * same way). Nothing a handler does can stop the timer or reach the process.
 */
export class JobRuntime implements CoordinationListener {
  private timer: JobTimer | undefined;
  private readonly items = new Map<number, ItemState>();
  private readonly listeners: JobListenerChain;
  private readonly waiters = new Set<RunWaiter>();
  private readonly semaphore: Semaphore;
  private active = false;
  /** Fires under way (until their items have run): a drain waits for them too. */
  private readonly firing = new Set<Promise<unknown>>();
  private missedWhileDisconnected = false;
  /** Leases of items stopped while the session was at risk: released if that session comes back. */
  private readonly keptRunning = new Map<number, ItemLease>();

  constructor(
    readonly jobName: string,
    private readonly deps: JobRuntimeDependencies,
  ) {
    this.semaphore = new Semaphore(deps.local.maxConcurrentItems ?? Number.POSITIVE_INFINITY);
    this.listeners = new JobListenerChain(jobName, deps.listeners ?? [], deps.errorHandler, (...args) =>
      deps.port.onceAcrossCluster(...args),
    );
    deps.port.attach(this);
  }

  private get port(): JobCoordinationPort {
    return this.deps.port;
  }

  /**
   * Starts the timer, right after this instance joined the job. It counts fires from the join:
   * a fire that fell between the two (a busy machine) may already have given this instance
   * items, so it fires at once, late, rather than lose them.
   */
  start(): void {
    if (this.active) return;
    const config = this.port.config;
    this.timer = new JobTimer(scheduleOf(config), (fireTime) => {
      void this.fire('NORMAL_TRIGGER', fireTime);
    });
    this.active = true;
    this.timer.start(this.port.joinedAt);
    this.port.started();
  }

  /** Timers running: neither stopped for shutdown nor shut down by an operator. */
  get isActive(): boolean {
    return this.active;
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
    // A fire that started before the stop may not have reached its items yet.
    if (deadline > Date.now()) await within(Promise.all(this.firing), deadline - Date.now());
    const remaining = deadline - Date.now();
    if (remaining > 0) await within(settled(), remaining);
    if (this.runningItems().length === 0) return;
    this.abortAll('shutdown', ABORTED_AT_SHUTDOWN);
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
          reject(new RunWaitTimeoutError(this.jobName, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  // ------------------------------------------------------------ coordinator events

  onTrigger(options: TriggerOptions = {}): void {
    void this.fire('MANUAL', new Date(), options.jobParameter);
  }

  onConfigurationChanged(previous: JobConfiguration, current: JobConfiguration): void {
    if (previous.cron === current.cron && previous.timeZone === current.timeZone) return;
    try {
      this.timer?.reschedule(scheduleOf(current));
    } catch (error) {
      this.deps.logger.error(
        JOB_STEP_FAILED(this.jobName, 'applying the new schedule', error),
        undefined,
        'ElasticJob',
      );
    }
  }

  /** Shut down here by an operator: no more fires; items running finish, and what they queued is handed back. */
  async onShutDown(): Promise<void> {
    this.stop();
    await Promise.all([...this.items.values()].filter((state) => state.running).map((state) => state.settled));
  }

  onFailoverItems(items: number[], session: string): void {
    if (!this.active) {
      for (const item of items) this.releaseFailover(item, session);
      return;
    }
    if (this.listeners.empty) {
      void this.runFailover(items, session);
      return;
    }
    // Listeners around failed-over items too, as around a fire.
    const config = this.port.config;
    const contexts = this.contextsOf(
      taskId(this.jobName, items, this.deps.instanceId),
      items,
      'FAILOVER',
      new Date(),
      config,
      config.shardingTotalCount,
      undefined,
    );
    const running = (async () => {
      await this.listeners.before(contexts);
      if (!this.active) {
        for (const item of items) this.releaseFailover(item, session);
        return undefined;
      }
      const result = await this.runFailover(items, session);
      await this.listeners.after(contexts, result);
      return result;
    })().catch((error: unknown) => {
      this.warn('running failed-over items', error);
      return undefined;
    });
    // Drained at shutdown like a fire.
    this.firing.add(running);
    void running.finally(() => this.firing.delete(running));
  }

  /** Claimed items of a crashed instance: the idle ones run now, the others right after their run here. */
  private runFailover(items: number[], session: string): Promise<JobRunResult> {
    const config = this.port.config;
    const idle = items.filter((item) => !this.items.get(item)?.running);
    for (const item of items.filter((i) => !idle.includes(i))) {
      const state = this.items.get(item)!;
      state.pending = 'FAILOVER';
      state.pendingFireTime = new Date();
      state.pendingSession = session;
      state.pendingTaskId = undefined;
      state.pendingJobParameter = undefined;
    }
    return this.execute(idle, 'FAILOVER', new Date(), config, config.shardingTotalCount, session);
  }

  /**
   * Everything decided under the lost session goes with it: running items are aborted, and
   * queued reruns, triggers and the catch-up of a missed fire are dropped. Whatever still has
   * to run is decided again under the next session.
   */
  onSessionLost(): void {
    this.keptRunning.clear();
    this.dropQueued();
    this.abortAll('session', ABORTED_SESSION_LOST);
  }

  /**
   * Cut off from ZooKeeper so long that the server may expire the session any moment: running
   * items stop (their reruns, decided under this session, start only if it comes back). If the
   * same session comes back, their `running` nodes are cleared and a missed fire is caught up;
   * if not, the survivors judge the nodes.
   */
  onSessionAtRisk(): void {
    this.abortAll('session', ABORTED_SESSION_AT_RISK);
  }

  private dropQueued(): void {
    this.missedWhileDisconnected = false;
    for (const state of this.items.values()) {
      state.pending = undefined;
      state.pendingFireTime = undefined;
      state.pendingSession = undefined;
      state.pendingTaskId = undefined;
      state.pendingJobParameter = undefined;
      for (const resolve of state.pendingResults?.splice(0) ?? []) resolve(undefined);
    }
  }

  onSessionRestored(newSession: boolean): void {
    if (!newSession) this.releaseKept();
    const missed = this.missedWhileDisconnected;
    this.missedWhileDisconnected = false;
    // Only a connection back on the same session catches a missed fire up.
    if (!missed || newSession || !this.active) return;
    void this.fire('MISFIRE', new Date());
  }

  // ------------------------------------------------------------ fires

  /** One fire: this instance's items for it (a trigger may give its own job parameter). Never rejects. */
  fire(source: ExecutionSource, fireTime: Date, jobParameter?: string): Promise<JobRunResult | undefined> {
    const firing = this.fireOnce(source, fireTime, jobParameter);
    this.firing.add(firing);
    void firing.finally(() => this.firing.delete(firing));
    return firing;
  }

  private async fireOnce(
    source: ExecutionSource,
    fireTime: Date,
    jobParameter: string | undefined,
  ): Promise<JobRunResult | undefined> {
    try {
      if (!this.active) return undefined;
      const plan = await this.port.planFire(fireTime, source);
      if ('skipped' in plan) {
        // No new fires without a connection; the missed one runs once when it is back on the
        // same session (a new session drops it).
        this.missedWhileDisconnected = true;
        this.deps.emit({ type: 'fire-skipped', job: this.jobName, fireTime, reason: plan.skipped });
        return undefined;
      }
      const { session, assignment } = plan;
      const config = this.port.config;
      if (config.maxTimeDiffSeconds >= 0 && !(await this.clockTolerable(config))) return undefined;
      // One task id for the whole of this instance's part of the fire, as ElasticJob has it.
      const id = taskId(this.jobName, assignment.items, this.deps.instanceId);
      // Only for a job with listeners: what they are given, and what a distribute-once one
      // marks (every item the fire gives this instance, disabled ones too).
      let listening: { contexts: ShardingContexts; owned: number[] } | undefined;
      if (!this.listeners.empty) {
        const idle = assignment.items.filter((item) => !this.items.get(item)?.running);
        listening = {
          contexts: this.contextsOf(id, idle, source, fireTime, config, assignment.count, jobParameter),
          owned: [...assignment.items, ...(assignment.disabled ?? [])].sort((a, b) => a - b),
        };
        // A fire that got this far runs, even if the app begins to close meanwhile: its
        // handover counts on it (drain waits for it).
        await this.listeners.before(listening.contexts, listening.owned);
      }
      // Decided in one turn with the runs it starts: nothing else starts these items between.
      const running = assignment.items.filter((item) => this.items.get(item)?.running);
      const candidates = assignment.items.filter(
        (item) => !running.includes(item) && !this.port.isFailoverElsewhere(item),
      );
      this.deps.emit({
        type: 'fire-scheduled',
        job: this.jobName,
        fireTime,
        source,
        items: assignment.items,
        queued: running,
        shardingTotalCount: assignment.count,
        taskId: id,
        ...(jobParameter === undefined ? {} : { jobParameter }),
      });
      const queued: Array<Promise<ItemResult | undefined>> = [];
      for (const item of running) {
        const state = this.items.get(item)!;
        const rerun = this.queueAfterRun(item, state, source, fireTime, config, session, id, jobParameter);
        if (rerun) queued.push(rerun);
      }
      const result = await this.execute(candidates, source, fireTime, config, assignment.count, session, {
        queued,
        running,
        taskId: id,
        jobParameter,
      });
      // Marked as completed: not an item still running from an earlier fire whose rerun comes
      // later, outside the fire (only a trigger's queued rerun is part of it): that fire ends in
      // the barrier's timeout rather than a call while the item still runs.
      if (listening) {
        const { contexts, owned } = listening;
        const completed = source === 'MANUAL' ? owned : owned.filter((item) => !running.includes(item));
        await this.listeners.after(contexts, result, completed);
      }
      return result;
    } catch (error) {
      this.deps.logger.error(JOB_STEP_FAILED(this.jobName, 'a fire', error), undefined, 'ElasticJob');
      return undefined;
    }
  }

  /** ElasticJob's `ShardingContexts` of this instance's part of a fire, for its listeners. */
  private contextsOf(
    id: string,
    items: readonly number[],
    source: ExecutionSource,
    fireTime: Date,
    config: JobConfiguration,
    shardingTotalCount: number,
    jobParameter: string | undefined,
  ): ShardingContexts {
    const parameters = itemParameters(config);
    return {
      jobName: this.jobName,
      taskId: id,
      shardingTotalCount,
      jobParameter: jobParameter ?? config.jobParameter,
      shardingItemParameters: Object.fromEntries(items.map((item) => [item, parameters.get(item) ?? ''])),
      executionSource: source,
      fireTime,
    };
  }

  /** The clock check; a skew goes to the error handler, and stops the fire only with THROW. */
  private async clockTolerable(config: JobConfiguration): Promise<boolean> {
    try {
      const diff = await this.port.clockDifferenceMs();
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
    session: string,
    fireTaskId: string,
    jobParameter: string | undefined,
  ): Promise<ItemResult | undefined> | undefined {
    // A failover claim waiting for the item stays: it must run (and be released) as such.
    if (state.pending === 'FAILOVER') return undefined;
    if (source === 'MANUAL') {
      state.pending = 'MANUAL';
      state.pendingFireTime = fireTime;
      state.pendingSession = session;
      state.pendingTaskId = fireTaskId;
      state.pendingJobParameter = jobParameter;
      // A trigger's run is every item it covers: those that run now and those queued.
      return new Promise((resolve) => (state.pendingResults ??= []).push(resolve));
    }
    if (!config.misfire || state.pending) return undefined;
    state.pending = 'MISFIRE';
    state.pendingFireTime = fireTime;
    state.pendingSession = session;
    state.pendingTaskId = fireTaskId;
    this.deps.emit({ type: 'misfire-set', job: this.jobName, item, fireTime });
    void this.quietly(`setting misfire on item ${item}`, this.port.setMisfire(item));
    return undefined;
  }

  /**
   * Runs `items` together as one task (ElasticJob's task id). A fire passes what it queued
   * behind items still running here: it is told as finished even with nothing to start.
   */
  private async execute(
    items: number[],
    source: ExecutionSource,
    fireTime: Date,
    config: JobConfiguration,
    shardingTotalCount: number,
    session: string,
    task?: {
      taskId: string;
      /** A fire's: the reruns it queued behind items still running here, and those items. */
      queued?: ReadonlyArray<Promise<ItemResult | undefined>>;
      running?: readonly number[];
      /** A trigger's own job parameter, instead of the configuration's. */
      jobParameter?: string;
    },
  ): Promise<JobRunResult> {
    const id = task?.taskId ?? taskId(this.jobName, items, this.deps.instanceId);
    const waiters = [...this.waiters].filter((waiter) => !waiter.source || waiter.source === source);
    for (const waiter of waiters) this.waiters.delete(waiter);
    const parameters = itemParameters(config);
    if (items.length > 0)
      this.deps.emit({ type: 'fire-started', job: this.jobName, taskId: id, fireTime, source, items });
    const ran = await Promise.all(
      items.map((item) =>
        this.runItem(
          item,
          source,
          fireTime,
          id,
          config,
          shardingTotalCount,
          parameters.get(item),
          session,
          task?.jobParameter,
        ),
      ),
    );
    if (items.length > 0 || task?.running) {
      const ranItems = ran.filter((result): result is ItemResult => result !== undefined);
      this.deps.emit({
        type: 'fire-finished',
        job: this.jobName,
        taskId: id,
        fireTime,
        source,
        items: ranItems.map(({ item, status, error }) =>
          status === 'SUCCEEDED' ? { item, status } : { item, status, error },
        ),
        skipped: items.filter((item) => !ranItems.some((result) => result.item === item)),
        queued: task?.running ?? [],
      });
    }
    // Items whose fence said no (running elsewhere, or the session gone) did not run here.
    const results = [...ran, ...(await Promise.all(task?.queued ?? []))]
      .filter((result): result is ItemResult => result !== undefined)
      .sort((a, b) => a.item - b.item);
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

  /**
   * One item's run. The item is marked running in the same turn as the decision to run it, so
   * nothing else starts it here meanwhile; it stays running (and its lease held) until its
   * handler has really returned, even past a timeout or an abort.
   */
  private runItem(
    item: number,
    source: ExecutionSource,
    fireTime: Date,
    id: string,
    config: JobConfiguration,
    shardingTotalCount: number,
    parameter: string | undefined,
    session: string,
    jobParameter: string | undefined,
  ): Promise<ItemResult | undefined> {
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
      jobParameter: jobParameter ?? config.jobParameter,
      shardingItem: item,
      shardingParameter: parameter,
      executionSource: source,
      fireTime,
      signal: controller.signal,
    };
    const attempt = this.attempt(context, controller, session);
    const completed = attempt
      .then(async ({ lease, handlerDone }) => {
        await handlerDone;
        await this.completeItem(item, state, config, lease);
      })
      .catch((error: unknown) => this.warn(`finishing item ${item}`, error))
      .finally(markSettled);
    return attempt.then(async ({ result }) => {
      // A run whose handler returned (or that never started) is reported once its cleanup is
      // done, so the next fire or trigger finds the item free; one that timed out or was
      // aborted is reported at once (its handler may go on).
      if (!result || result.status === 'SUCCEEDED' || result.status === 'FAILED') await completed;
      return result;
    });
  }

  /** A slot, the lease, then the handler raced against its timeout and abort. */
  private async attempt(
    context: ShardingContext,
    controller: AbortController,
    session: string,
  ): Promise<{ result?: ItemResult; lease?: ItemLease; handlerDone: Promise<unknown> }> {
    const { shardingItem: item, executionSource: source } = context;
    const release = await this.semaphore.acquire();
    try {
      let lease: ItemLease | undefined;
      try {
        lease = await this.port.beginItem(item, session, source);
      } catch (error) {
        // Coordination says no by resolving nothing; should it fail instead, the item does not run.
        this.warn(`starting item ${item}`, error);
      }
      if (!lease) return { handlerDone: Promise.resolve() };
      if (this.port.liveSession() !== lease.session) {
        // Leased on a session this instance can no longer count on (its process frozen or its
        // loop blocked while the lease was taken, or the connection dropped since): not run.
        // Kept as an aborted run's lease is, for the survivors to judge, or released if the
        // same session comes back.
        this.keptRunning.set(item, lease);
        return { handlerDone: Promise.resolve() };
      }
      const startedAt = new Date();
      const executionId = randomUUID();
      this.deps.emit({
        type: 'item-started',
        job: this.jobName,
        item,
        executionId,
        taskId: context.taskId,
        source,
        fireTime: context.fireTime,
        shardingTotalCount: context.shardingTotalCount,
        shardingParameter: context.shardingParameter,
        startedAt,
      });
      const handler = controller.signal.aborted
        ? Promise.reject(controller.signal.reason as unknown)
        : this.invoke(context);
      const handlerDone = handler.then(
        () => undefined,
        () => undefined,
      );
      const outcome = await this.race(handler, controller, item);
      const status: ItemStatus = outcome.ok
        ? 'SUCCEEDED'
        : outcome.error instanceof ExecutionTimeoutError
          ? 'TIMED_OUT'
          : outcome.error instanceof ExecutionAbortedError
            ? 'ABORTED'
            : 'FAILED';
      if (!outcome.ok) await this.deps.errorHandler.handle(this.jobName, outcome.error, context);
      const durationMs = Date.now() - startedAt.getTime();
      const result: ItemResult = outcome.ok
        ? { item, status, result: outcome.value, startedAt, durationMs }
        : { item, status, error: outcome.error, startedAt, durationMs };
      this.deps.emit({
        type: 'item-finished',
        job: this.jobName,
        item,
        executionId,
        taskId: context.taskId,
        source,
        fireTime: context.fireTime,
        status,
        startedAt,
        durationMs,
        ...(outcome.ok ? {} : { error: outcome.error }),
      });
      return { result, lease, handlerDone };
    } finally {
      release();
    }
  }

  /** The handler through the execution decorator; whatever it throws, even synchronously, rejects. */
  private invoke(context: ShardingContext): Promise<unknown> {
    const invoke = () =>
      Promise.resolve().then(() => {
        this.deps.enteringHandler?.(context.shardingItem);
        return this.deps.handler(context);
      });
    return Promise.resolve().then(() => this.deps.decorator.decorate(invoke, context)());
  }

  private releaseFailover(item: number, session: string): void {
    void this.quietly(`handing back the failover of item ${item}`, this.port.releaseFailover(item, session));
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
    lease: ItemLease | undefined,
  ): Promise<void> {
    if (lease) {
      // Stopped because the session was lost, or at risk and not back yet: the lease is kept,
      // its nodes for the survivors to judge (released if the same session comes back). After
      // a shutdown abort with failover on, it is kept for the survivors to take the item over.
      const sessionGone = state.abortReason === 'session' && this.port.liveSession() !== lease.session;
      if (sessionGone) this.keptRunning.set(item, lease);
      else if (!(state.abortReason === 'shutdown' && config.failover)) {
        await this.quietly(`clearing running on item ${item}`, lease.release());
      }
    }
    state.running = false;
    state.controller = undefined;
    const pending = state.pending;
    const pendingFireTime = state.pendingFireTime ?? new Date();
    const pendingSession = state.pendingSession;
    const pendingTaskId = state.pendingTaskId;
    const pendingJobParameter = state.pendingJobParameter;
    const pendingResults = state.pendingResults?.splice(0) ?? [];
    state.pending = undefined;
    state.pendingFireTime = undefined;
    state.pendingSession = undefined;
    state.pendingTaskId = undefined;
    state.pendingJobParameter = undefined;
    const settle = (result: ItemResult | undefined) => pendingResults.forEach((resolve) => resolve(result));
    if (!pending || !pendingSession) return settle(undefined);
    // Not awaited: this run is over; the rerun is a run of its own.
    const rerun = this.rerun(item, pending, pendingFireTime, pendingSession, pendingTaskId, pendingJobParameter);
    rerun.then(settle, (error: unknown) => {
      this.warn(`re-running item ${item}`, error);
      settle(undefined);
    });
  }

  /**
   * Runs a queued rerun, if it is still this instance's to run; resolves with its result.
   * Decided and started synchronously, in the same turn as the end of the run before it: no
   * fire can start the item in between, so it never runs twice here.
   */
  private async rerun(
    item: number,
    pending: ExecutionSource,
    pendingFireTime: Date,
    pendingSession: string,
    pendingTaskId: string | undefined,
    pendingJobParameter: string | undefined,
  ): Promise<ItemResult | undefined> {
    const current = this.port.config;
    if (pending === 'MISFIRE') {
      void this.quietly(`clearing misfire on item ${item}`, this.port.clearMisfire(item));
      if (!current.misfire) return undefined;
    }
    // Decided under a session that is gone: dropped (the next session decides afresh).
    if (this.port.liveSession() !== pendingSession) return undefined;
    if (this.items.get(item)?.running) return undefined;
    // Rerun only what the overlapped fire gave this instance (a failover claim is ours anyway).
    const assignment = this.port.assignmentFor(pendingFireTime, pending === 'MANUAL');
    if (!this.active || (pending !== 'FAILOVER' && !assignment.items.includes(item))) {
      if (pending === 'FAILOVER') this.releaseFailover(item, pendingSession);
      return undefined;
    }
    const count = pending === 'FAILOVER' ? current.shardingTotalCount : assignment.count;
    // A misfire rerun or a queued trigger carries the time of the fire it belongs to.
    const fireTime = pending === 'FAILOVER' ? new Date() : pendingFireTime;
    const run = await this.execute(
      [item],
      pending,
      fireTime,
      current,
      count,
      pendingSession,
      pendingTaskId ? { taskId: pendingTaskId, jobParameter: pendingJobParameter } : undefined,
    );
    return run.items[0];
  }

  /** The same session is back after being at risk: the leases of the items it stopped go. */
  private releaseKept(): void {
    const session = this.port.liveSession();
    for (const [item, lease] of [...this.keptRunning]) {
      this.keptRunning.delete(item);
      if (lease.session !== session || this.items.get(item)?.running) continue;
      void this.quietly(`clearing running on item ${item}`, lease.release());
    }
  }

  /** Awaits a ZooKeeper write, logging a failure; one refused because its session is gone is expected. */
  private async quietly(what: string, work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (error) {
      if (!(error instanceof RegistrySessionExpiredError)) this.warn(what, error);
    }
  }

  private abortAll(reason: 'shutdown' | 'session', message: string): void {
    for (const [item, state] of this.items) {
      if (!state.running || !state.controller || state.controller.signal.aborted) continue;
      state.abortReason = reason;
      state.controller.abort(new ExecutionAbortedError(this.jobName, item, message));
    }
  }

  private warn(what: string, error: unknown): void {
    this.deps.logger.warn(JOB_STEP_FAILED(this.jobName, what, error), 'ElasticJob');
  }
}
