import { describe, expect, it } from 'vitest';
import { JOB_DEFAULTS, type JobConfiguration } from '../../lib/config/job-configuration.js';
import type {
  CoordinationListener,
  FireAssignment,
  FirePlan,
  ItemLease,
  JobCoordinationPort,
} from '../../lib/coordination/job-coordination.port.js';
import type { JobEventInput } from '../../lib/events/job-event-sink.js';
import { resolveErrorHandler } from '../../lib/execution/error-handlers.js';
import { JobRuntime, type JobHandler } from '../../lib/execution/job-runtime.js';
import type { ExecutionSource, ShardingContext } from '../../lib/interfaces/sharding-context.interface.js';
import { JobExecutionDecorator } from '../../lib/job-execution.decorator.js';
import { RecordingLogger } from '../support/registry.js';

interface FakeLease extends ItemLease {
  released: boolean;
}

/** Coordination as the runtime sees it, with nothing behind it: every call is recorded. */
class FakePort implements JobCoordinationPort {
  readonly jobName = 'job';
  config: JobConfiguration = {
    ...JOB_DEFAULTS,
    jobName: 'job',
    // Never fires by itself: the tests fire.
    cron: '0 0 0 1 1 ? 2099',
    shardingTotalCount: 3,
    props: {},
    extra: {},
  };
  readonly joinedAt = new Date();
  session: string | undefined = 'session-1';
  assignment: FireAssignment = { count: 3, items: [0, 1, 2] };
  listener: CoordinationListener | undefined;
  readonly leases: FakeLease[] = [];
  /** Items whose fence says no. */
  readonly fenced = new Set<number>();
  readonly calls: string[] = [];

  attach(listener: CoordinationListener): void {
    this.listener = listener;
  }
  started(): void {}
  liveSession(): string | undefined {
    return this.session;
  }
  async planFire(): Promise<FirePlan> {
    if (!this.session) return { skipped: 'no session' };
    return { session: this.session, assignment: this.assignmentFor() };
  }
  assignmentFor(): FireAssignment {
    return { count: this.assignment.count, items: [...this.assignment.items] };
  }
  async onceAcrossCluster(_phase: string, items: readonly number[], work: () => Promise<void>) {
    // One instance: it is always the last to mark its items.
    if (items.length === 0) return 'no-items' as const;
    await work();
    return 'ran' as const;
  }
  isFailoverElsewhere(): boolean {
    return false;
  }
  async clockDifferenceMs(): Promise<number> {
    return 0;
  }
  async beginItem(item: number, session: string, source: ExecutionSource): Promise<ItemLease | undefined> {
    if (session !== this.session || this.fenced.has(item)) {
      if (source === 'FAILOVER') await this.releaseFailover(item, session);
      return undefined;
    }
    const lease: FakeLease = {
      item,
      session,
      source,
      released: false,
      release: async () => {
        lease.released = true;
        this.calls.push(`release ${item}`);
      },
    };
    this.leases.push(lease);
    return lease;
  }
  async releaseFailover(item: number, _session?: string): Promise<void> {
    this.calls.push(`release failover ${item}`);
  }
  async setMisfire(item: number): Promise<void> {
    this.calls.push(`misfire ${item}`);
  }
  async clearMisfire(item: number): Promise<void> {
    this.calls.push(`clear misfire ${item}`);
  }
}

/** A promise settled from outside. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

function setUp(options: { handler: JobHandler; executionTimeoutMs?: number; port?: FakePort }) {
  const port = options.port ?? new FakePort();
  const logger = new RecordingLogger();
  const events: JobEventInput[] = [];
  const runtime = new JobRuntime('job', {
    handler: options.handler,
    port,
    local: { executionTimeoutMs: options.executionTimeoutMs },
    errorHandler: resolveErrorHandler('LOG', undefined, logger),
    decorator: new JobExecutionDecorator(),
    logger,
    instanceId: '10.0.0.1@-@1',
    emit: (event) => events.push(event),
  });
  runtime.start();
  const types = (item?: number) =>
    events.filter((event) => item === undefined || ('item' in event && event.item === item)).map((event) => event.type);
  return { port, runtime, events, types, logger };
}

/** One item whose first run is held until `release.open()`; the sources of its runs in order. */
async function firstRunHeld() {
  const release = gate();
  const sources: ExecutionSource[] = [];
  const set = setUp({
    handler: async (context) => {
      sources.push(context.executionSource);
      if (sources.length === 1) await release.promise;
    },
  });
  set.port.assignment = { count: 1, items: [0] };
  const first = set.runtime.fire('NORMAL_TRIGGER', new Date(1_000));
  await expect.poll(() => set.runtime.runningItems()).toEqual([0]);
  return { ...set, sources, release, first };
}

describe('JobRuntime against a fake coordination port', () => {
  it('runs the plan’s items, tells each start and end, and releases each lease after its handler', async () => {
    const seen: ShardingContext[] = [];
    const { port, runtime, events } = setUp({ handler: (context) => void seen.push(context) });
    const run = await runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    expect(run?.items.map((item) => [item.item, item.status])).toEqual([
      [0, 'SUCCEEDED'],
      [1, 'SUCCEEDED'],
      [2, 'SUCCEEDED'],
    ]);
    expect(seen.map((context) => context.shardingItem).sort()).toEqual([0, 1, 2]);
    expect(port.leases.every((lease) => lease.released)).toBe(true);
    expect(events[0]).toMatchObject({ type: 'fire-scheduled', items: [0, 1, 2], shardingTotalCount: 3 });
    for (const item of [0, 1, 2]) {
      const mine = events.filter((event) => 'item' in event && event.item === item).map((event) => event.type);
      expect(mine).toEqual(['item-started', 'item-finished']);
    }
    expect(runtime.runningItems()).toEqual([]);
  });

  it('tells a fire as one task: scheduled, started, each item with its own execution id, finished with each outcome', async () => {
    const { runtime, events } = setUp({
      handler: (context) => {
        if (context.shardingItem === 1) throw new Error('item 1 failed');
      },
    });
    await runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    const taskId = 'job@-@0,1,2@-@READY@-@10.0.0.1@-@1';
    expect(events.filter((event) => !('item' in event))).toEqual([
      expect.objectContaining({ type: 'fire-scheduled', taskId, items: [0, 1, 2], queued: [] }),
      expect.objectContaining({ type: 'fire-started', taskId, items: [0, 1, 2], source: 'NORMAL_TRIGGER' }),
      expect.objectContaining({
        type: 'fire-finished',
        taskId,
        queued: [],
        items: [
          { item: 0, status: 'SUCCEEDED' },
          { item: 1, status: 'FAILED', error: expect.objectContaining({ message: 'item 1 failed' }) },
          { item: 2, status: 'SUCCEEDED' },
        ],
      }),
    ]);
    const ids = events.flatMap((event) => ('executionId' in event ? [[event.item, event.executionId]] : []));
    expect(ids.length).toBe(6);
    for (const item of [0, 1, 2]) {
      const mine = ids.filter(([of]) => of === item).map(([, id]) => id);
      expect(mine.length).toBe(2);
      expect(mine[0]).toBe(mine[1]);
    }
    expect(new Set(ids.map(([, id]) => id)).size).toBe(3);
  });

  it('tells a fire whose items all still run here as finished at once, with them queued', async () => {
    const { runtime, events, release, first } = await firstRunHeld();
    await runtime.fire('NORMAL_TRIGGER', new Date(2_000));
    expect(events.filter((event) => event.type === 'fire-finished').at(-1)).toMatchObject({
      fireTime: new Date(2_000),
      items: [],
      queued: [0],
    });
    release.open();
    await first;
  });

  it('runs an item that a fire finds running once more right after, as MISFIRE, however many fires overlap', async () => {
    const { port, runtime, types, sources, release, first } = await firstRunHeld();
    const rerun = runtime.nextRun({ source: 'MISFIRE', timeoutMs: 10_000 });
    await runtime.fire('NORMAL_TRIGGER', new Date(2_000));
    await runtime.fire('NORMAL_TRIGGER', new Date(3_000));
    expect(port.calls).toEqual(['misfire 0']);
    expect(types(0)).toEqual(['item-started', 'misfire-set']);
    release.open();
    await first;
    const misfire = await rerun;
    expect(misfire.fireTime).toEqual(new Date(2_000));
    expect(sources).toEqual(['NORMAL_TRIGGER', 'MISFIRE']);
    expect(port.calls).toContain('clear misfire 0');
  });

  it('drops the overlapping fire when misfire is off', async () => {
    const release = gate();
    let runs = 0;
    const { port, runtime } = setUp({
      handler: async () => {
        runs += 1;
        await release.promise;
      },
    });
    port.config = { ...port.config, misfire: false };
    port.assignment = { count: 1, items: [0] };
    const first = runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    await expect.poll(() => runtime.runningItems()).toEqual([0]);
    const second = await runtime.fire('NORMAL_TRIGGER', new Date(2_000));
    expect(second?.items).toEqual([]);
    release.open();
    await first;
    expect(runs).toBe(1);
    expect(port.calls).not.toContain('misfire 0');
  });

  it('queues a trigger that finds the item running, and reports the queued run as the trigger’s', async () => {
    const { runtime, sources, release, first } = await firstRunHeld();
    const triggered = runtime.fire('MANUAL', new Date(2_000));
    release.open();
    await first;
    const run = await triggered;
    expect(run?.items.map((item) => [item.item, item.status])).toEqual([[0, 'SUCCEEDED']]);
    expect(sources).toEqual(['NORMAL_TRIGGER', 'MANUAL']);
  });

  it('reports a timed-out item at its timeout, and keeps it running and leased until its handler returns', async () => {
    const release = gate();
    let signal: AbortSignal | undefined;
    const { port, runtime, types } = setUp({
      executionTimeoutMs: 50,
      handler: async (context) => {
        signal = context.signal;
        await release.promise;
      },
    });
    port.assignment = { count: 1, items: [0] };
    const run = await runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    expect(run?.items[0]).toMatchObject({ item: 0, status: 'TIMED_OUT' });
    expect(signal?.aborted).toBe(true);
    expect(types(0)).toEqual(['item-started', 'item-finished']);
    expect(runtime.runningItems()).toEqual([0]);
    expect(port.leases[0]!.released).toBe(false);
    release.open();
    await expect.poll(() => port.leases[0]!.released).toBe(true);
    expect(runtime.runningItems()).toEqual([]);
  });

  it('aborts an item whose session is lost, keeps its lease for the survivors, and drops its queued rerun', async () => {
    const { port, runtime } = setUp({
      handler: (context) =>
        new Promise((resolve) => context.signal.addEventListener('abort', () => setTimeout(resolve, 5))),
    });
    port.assignment = { count: 1, items: [0] };
    const run = runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    await expect.poll(() => runtime.runningItems()).toEqual([0]);
    await runtime.fire('NORMAL_TRIGGER', new Date(2_000));
    expect(port.calls).toEqual(['misfire 0']);
    port.session = undefined;
    port.listener!.onSessionLost();
    const result = await run;
    expect(result?.items[0]).toMatchObject({ item: 0, status: 'ABORTED' });
    await expect.poll(() => runtime.runningItems()).toEqual([]);
    expect(port.leases).toHaveLength(1);
    expect(port.leases[0]!.released).toBe(false);
    // A new session does not bring back what the lost one decided.
    port.session = 'session-2';
    port.listener!.onSessionRestored(true);
    expect(port.leases).toHaveLength(1);
    expect(port.leases[0]!.released).toBe(false);
  });

  it('stops items when the session is at risk, and releases their leases when the same session comes back', async () => {
    const { port, runtime } = setUp({
      handler: (context) => new Promise((resolve) => context.signal.addEventListener('abort', resolve)),
    });
    port.assignment = { count: 2, items: [0, 1] };
    const run = runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    await expect.poll(() => runtime.runningItems()).toEqual([0, 1]);
    const heldSession = port.session;
    port.session = undefined;
    port.listener!.onSessionAtRisk();
    expect((await run)?.items.map((item) => item.status)).toEqual(['ABORTED', 'ABORTED']);
    await expect.poll(() => runtime.runningItems()).toEqual([]);
    expect(port.leases.map((lease) => lease.released)).toEqual([false, false]);
    port.session = heldSession;
    port.listener!.onSessionRestored(false);
    expect(port.leases.map((lease) => lease.released)).toEqual([true, true]);
  });

  it('skips a fire without a session, and runs it once as MISFIRE only if the same session comes back', async () => {
    const sources: ExecutionSource[] = [];
    const { port, runtime, events } = setUp({ handler: (context) => void sources.push(context.executionSource) });
    port.assignment = { count: 1, items: [0] };
    port.session = undefined;
    expect(await runtime.fire('NORMAL_TRIGGER', new Date(1_000))).toBeUndefined();
    expect(await runtime.fire('NORMAL_TRIGGER', new Date(2_000))).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual(['fire-skipped', 'fire-skipped']);
    port.session = 'session-1';
    const caughtUp = runtime.nextRun({ source: 'MISFIRE', timeoutMs: 10_000 });
    port.listener!.onSessionRestored(false);
    expect((await caughtUp).items.map((item) => item.item)).toEqual([0]);
    expect(sources).toEqual(['MISFIRE']);

    port.session = undefined;
    await runtime.fire('NORMAL_TRIGGER', new Date(3_000));
    port.session = 'session-2';
    port.listener!.onSessionRestored(true);
    await runtime.drain(Date.now() + 1_000);
    expect(sources).toEqual(['MISFIRE']);
  });

  it('runs nothing whose fence says no', async () => {
    let runs = 0;
    const { port, runtime, types } = setUp({ handler: () => void (runs += 1) });
    port.fenced.add(1);
    const run = await runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    expect(run?.items.map((item) => item.item)).toEqual([0, 2]);
    expect(runs).toBe(2);
    expect(types(1)).toEqual([]);
  });

  it('runs nothing leased on a session that is gone by the time the lease comes back, and keeps the lease', async () => {
    const ran: number[] = [];
    const port = new FakePort();
    const beginItem = port.beginItem.bind(port);
    // The lease is granted, but the session is lost while its reply was on its way (a process
    // frozen with its fence in flight, thawed after the server expired the session).
    port.beginItem = async (item, session, source) => {
      const lease = await beginItem(item, session, source);
      port.session = undefined;
      return lease;
    };
    port.assignment = { count: 3, items: [1] };
    const { runtime, types } = setUp({ port, handler: (context) => void ran.push(context.shardingItem) });
    const run = await runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    expect(run?.items).toEqual([]);
    expect(ran).toEqual([]);
    expect(types(1)).toEqual([]);
    // Kept for the survivors to judge: never released on a session that is gone.
    expect(port.leases.map((lease) => [lease.item, lease.released])).toEqual([[1, false]]);
  });

  it('tells a handler that throws, even synchronously, as FAILED, and still releases its lease', async () => {
    const { port, runtime, events, logger } = setUp({
      handler: () => {
        throw new Error('boom');
      },
    });
    port.assignment = { count: 1, items: [0] };
    const run = await runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    expect(run?.items[0]).toMatchObject({ status: 'FAILED', error: new Error('boom') });
    expect(events.find((event) => event.type === 'item-finished')).toMatchObject({
      status: 'FAILED',
      error: new Error('boom'),
    });
    expect(port.leases[0]!.released).toBe(true);
    expect(logger.lines.some((line) => line.level === 'error' && line.message.includes('boom'))).toBe(true);
  });

  it('runs failover items claimed while the item runs here right after, and hands back claims it cannot run', async () => {
    const { port, runtime, sources, release, first } = await firstRunHeld();
    port.listener!.onFailoverItems([0], 'session-1');
    release.open();
    await first;
    await expect.poll(() => sources).toEqual(['NORMAL_TRIGGER', 'FAILOVER']);
    await expect.poll(() => runtime.runningItems()).toEqual([]);
    expect(port.leases.map((lease) => [lease.source, lease.released])).toEqual([
      ['NORMAL_TRIGGER', true],
      ['FAILOVER', true],
    ]);

    runtime.stop();
    port.listener!.onFailoverItems([1], 'session-1');
    expect(port.calls).toContain('release failover 1');
  });

  it('drains running items up to the deadline, then aborts them; with failover the lease is left for the survivors', async () => {
    const { port, runtime } = setUp({
      handler: (context) => new Promise((resolve) => context.signal.addEventListener('abort', resolve)),
    });
    port.config = { ...port.config, failover: true };
    port.assignment = { count: 1, items: [0] };
    const run = runtime.fire('NORMAL_TRIGGER', new Date(1_000));
    await expect.poll(() => runtime.runningItems()).toEqual([0]);
    runtime.stop();
    await runtime.drain(Date.now() + 50);
    expect((await run)?.items[0]).toMatchObject({ status: 'ABORTED' });
    expect(runtime.runningItems()).toEqual([]);
    expect(port.leases[0]!.released).toBe(false);
  });

  it('fires nothing once stopped', async () => {
    let runs = 0;
    const { runtime } = setUp({ handler: () => void (runs += 1) });
    runtime.stop();
    expect(await runtime.fire('NORMAL_TRIGGER', new Date(1_000))).toBeUndefined();
    expect(runs).toBe(0);
  });
});
