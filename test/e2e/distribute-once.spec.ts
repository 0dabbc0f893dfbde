import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { JobListener } from '../../lib/decorators/job-listener.decorator.js';
import { InvalidJobOptionsError } from '../../lib/errors/invalid-job-options.error.js';
import { ListenerFailedError } from '../../lib/errors/listener-failed.error.js';
import type { JobErrorHandler } from '../../lib/interfaces/job-error-handler.interface.js';
import type { ElasticJobListener } from '../../lib/interfaces/job-listener.interface.js';
import type { ShardingContexts } from '../../lib/interfaces/sharding-context.interface.js';
import type { ChildInstance } from '../support/child-instances.js';
import type { FireRecord } from '../support/fires.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { useChildCluster, useZooKeeperServer } from '../support/suite.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

// Distribute-once listeners (ElasticJob's AbstractDistributeOnceElasticJobListener): once per
// fire across the cluster, before the first item starts anywhere and after the last one ends
// everywhere. Judged from what ran: every item start and end and every listener call, told by
// instances in their own processes (SIGKILL for a crash), or in this one.

const children = useChildCluster();
const zookeeper = useZooKeeperServer();

interface Told {
  event: string;
  fire?: number;
  item?: number;
  instance?: string;
  at?: number;
  message?: string;
}

const told = (instances: ChildInstance[]) => instances.flatMap((instance) => instance.told as Told[]);

/** For each fire: the listener calls, the item starts (from the records) and the item ends. */
function byFire(instances: ChildInstance[], records: FireRecord[]) {
  const fires = new Map<
    number,
    { before: Told[]; after: Told[]; starts: number[]; ends: number[]; items: Set<number> }
  >();
  const of = (fire: number) => {
    if (!fires.has(fire)) fires.set(fire, { before: [], after: [], starts: [], ends: [], items: new Set() });
    return fires.get(fire)!;
  };
  for (const line of told(instances)) {
    if (line.event === 'once-before') of(line.fire!).before.push(line);
    if (line.event === 'once-after') of(line.fire!).after.push(line);
    if (line.event === 'item-end') of(line.fire!).ends.push(line.at!);
  }
  for (const record of records) {
    of(record.fireTime).starts.push(record.startedAt!);
    of(record.fireTime).items.add(record.item);
  }
  return fires;
}

const ONCE_ENV = {
  JOB: 'once-job',
  COUNT: '6',
  CRON: '0/3 * * * * ?',
  ITEM_MS: '150',
  ITEM_MS_STEP: '120',
  LISTEN_ONCE: 'true',
  STARTED_TIMEOUT_MS: '2000',
  COMPLETED_TIMEOUT_MS: '2500',
};

describe('distribute-once listeners', () => {
  it('3 instances, uneven items: before once, ahead of every start; after once, behind every end', async () => {
    const namespace = uniqueNamespace('once');
    const records: FireRecord[] = [];
    const instances = ['a', 'b', 'c'].map((suffix) =>
      children.spawn(`127.0.0.1@-@once-${suffix}`, { NAMESPACE: namespace, ...ONCE_ENV }, records),
    );
    await waitFor('all ready', () => instances.every((instance) => instance.events.includes('ready')), 60_000);
    const ready = Date.now();
    // Fires from once all three have joined (the first full fire after ready), four of them.
    await waitFor(
      'four whole fires after all joined',
      () =>
        [...byFire(instances, records)].filter(([fire, f]) => fire > ready + 3_000 && f.after.length > 0).length >= 4,
      60_000,
    );
    const judged = [...byFire(instances, records)].filter(([fire, f]) => fire > ready + 3_000 && f.after.length > 0);
    for (const [fire, f] of judged) {
      expect(f.items.size, `fire ${fire}`).toBe(6);
      expect(f.before, `fire ${fire}`).toHaveLength(1);
      expect(f.after, `fire ${fire}`).toHaveLength(1);
      expect(f.before[0]!.at!, `fire ${fire}: before ahead of every start`).toBeLessThanOrEqual(Math.min(...f.starts));
      expect(f.after[0]!.at!, `fire ${fire}: after behind every end`).toBeGreaterThanOrEqual(Math.max(...f.ends));
      expect(f.ends).toHaveLength(6);
    }
    // Whichever instance completes the barrier makes the call: not always the same one.
    expect(told(instances).filter((line) => line.event === 'job-error')).toEqual([]);
  }, 120_000);

  it('an instance killed in mid-fire: that fire has no after-call, told as a timeout; later fires are whole again', async () => {
    const namespace = uniqueNamespace('once-kill');
    const records: FireRecord[] = [];
    const instances = ['a', 'b', 'c'].map((suffix) =>
      children.spawn(`127.0.0.1@-@kill-${suffix}`, { NAMESPACE: namespace, ...ONCE_ENV, ITEM_MS: '600' }, records),
    );
    await waitFor('all ready', () => instances.every((instance) => instance.events.includes('ready')), 60_000);
    const ready = Date.now();
    const victim = instances[2]!;
    // Killed once its items of a whole fire have started, before they end.
    const killedFire = await waitFor(
      'the victim in mid-fire',
      () => {
        const mine = records.filter(
          (record) => record.instance === victim.instanceId && record.fireTime > ready + 3_000,
        );
        return mine.length > 0 ? mine[0]!.fireTime : undefined;
      },
      60_000,
      5,
    );
    victim.kill();
    const survivors = instances.slice(0, 2);
    // The survivors wait for the victim's items to end, up to COMPLETED_TIMEOUT_MS, and go on.
    await waitFor(
      'the completion timeout told',
      () =>
        told(survivors).some(
          (line) => line.event === 'job-error' && /not every item of the job ended within 2500 ms/.test(line.message!),
        ),
      30_000,
    );
    // Fires after the victim's session expired (4 s) and its items moved: whole again.
    await waitFor(
      'two whole fires on the survivors',
      () =>
        [...byFire(survivors, records)].filter(
          ([fire, f]) => fire > killedFire + 9_000 && f.after.length > 0 && f.items.size === 6,
        ).length >= 2,
      60_000,
    );
    const fires = byFire(instances, records);
    const killed = fires.get(killedFire)!;
    expect(killed.before).toHaveLength(1);
    expect(killed.after).toEqual([]);
    for (const [fire, f] of fires) {
      // Never twice, whatever happened.
      expect(f.before.length, `fire ${fire}`).toBeLessThanOrEqual(1);
      expect(f.after.length, `fire ${fire}`).toBeLessThanOrEqual(1);
    }
    for (const [fire, f] of [...byFire(survivors, records)].filter(
      ([fire, f]) => fire > killedFire + 9_000 && f.after.length > 0,
    )) {
      expect(f.before, `fire ${fire}`).toHaveLength(1);
      expect(f.before[0]!.at!).toBeLessThanOrEqual(Math.min(...f.starts));
      expect(f.after[0]!.at!).toBeGreaterThanOrEqual(Math.max(...f.ends));
    }
  }, 150_000);

  it('a before-call that throws, or an after-call that hangs, goes to the error handler once; the items run', async () => {
    const namespace = uniqueNamespace('once-faulty');
    const calls: string[] = [];
    const failures: unknown[] = [];
    const apps: TestApp[] = [];
    for (const suffix of ['x', 'y']) {
      @Injectable()
      class Collect implements JobErrorHandler {
        handleException(_job: string, error: unknown) {
          failures.push(error);
        }
      }
      @Injectable()
      @JobListener({ distributeOnce: { startedTimeoutMs: 5_000, completedTimeoutMs: 5_000 }, timeoutMs: 500 })
      class Faulty implements ElasticJobListener {
        beforeJobExecuted(contexts: ShardingContexts) {
          calls.push(`before@${contexts.taskId}`);
          throw new Error('the report service is down');
        }
        afterJobExecuted(contexts: ShardingContexts) {
          calls.push(`after@${contexts.taskId}`);
          return new Promise<void>(() => undefined);
        }
      }
      const Job = jobClass(
        { name: 'faulty-once', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 4, jobErrorHandlerType: Collect },
        () => sleep(20),
        'FaultyOnceJob',
      );
      apps.push(
        await zookeeper.apps.create(namespace, [Job, Faulty, Collect], { instanceId: `127.0.0.1@-@faulty-${suffix}` }),
      );
    }
    await waitFor(
      'both with items',
      () => apps[0]!.operator.getInstances('faulty-once').filter((instance) => instance.items.length > 0).length === 2,
    );
    const runs = apps.map((app) => app.operator.nextRun('faulty-once', { source: 'MANUAL' }));
    await apps[0]!.operator.trigger('faulty-once');
    const results = await Promise.all(runs);
    expect(results.flatMap((result) => result.items.map((item) => item.status))).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    await waitFor('the after-call timed out', () => failures.length === 2, 10_000);
    expect(calls.filter((call) => call.startsWith('before@'))).toHaveLength(1);
    expect(calls.filter((call) => call.startsWith('after@'))).toHaveLength(1);
    expect(failures.every((failure) => failure instanceof ListenerFailedError)).toBe(true);
    expect(failures.map(String)).toEqual([
      expect.stringMatching(/Faulty.beforeJobExecuted of job "faulty-once" threw/),
      expect.stringMatching(/Faulty.afterJobExecuted of job "faulty-once" did not return within 500 ms/),
    ]);
  });

  it('refuses two distribute-once listeners on one job, and bad timeouts', async () => {
    const make = (name: string, options: object) => {
      @Injectable()
      @JobListener(options as never)
      class Listener implements ElasticJobListener {
        beforeJobExecuted() {}
      }
      Object.defineProperty(Listener, 'name', { value: name });
      return Listener;
    };
    const Job = jobClass({ name: 'once-bad', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 1 }, () => undefined);
    for (const [listeners, message] of [
      [
        [make('One', { distributeOnce: true }), make('Two', { distributeOnce: {} })],
        /Job "once-bad" has 2 distribute-once listeners \(One, Two\): at most one/,
      ],
      [
        [make('Bad', { distributeOnce: { startedTimeoutMs: -1 } })],
        /distributeOnce.startedTimeoutMs -1 must be a positive integer/,
      ],
      [
        [make('Typo', { distributeOnce: { startTimeoutMs: 5 } })],
        /Unknown option "startTimeoutMs".*did you mean "startedTimeoutMs"/,
      ],
    ] as const) {
      const app = await zookeeper.apps.create(uniqueNamespace('once-bad'), [Job, ...listeners], {}, false);
      const failed = await app.app.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(InvalidJobOptionsError);
      expect(String(failed)).toMatch(message);
    }
  });
});
