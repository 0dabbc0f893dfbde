import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { JobListener } from '../../lib/decorators/job-listener.decorator.js';
import { InvalidJobOptionsError } from '../../lib/errors/invalid-job-options.error.js';
import { ListenerFailedError } from '../../lib/errors/listener-failed.error.js';
import type { JobErrorHandler } from '../../lib/interfaces/job-error-handler.interface.js';
import type { ElasticJobListener } from '../../lib/interfaces/job-listener.interface.js';
import type { JobRunResult } from '../../lib/interfaces/job-run-result.interface.js';
import type { ShardingContexts } from '../../lib/interfaces/sharding-context.interface.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { useZooKeeperServer } from '../support/suite.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

// Local listeners (ElasticJob's ElasticJobListener) in real Nest apps against a real ZooKeeper:
// what ran is recorded in one sequence per process, handler starts and ends included.

const zookeeper = useZooKeeperServer();
const { apps } = zookeeper;
const NEVER = '0 0 0 1 1 ? 2099';

type Step =
  | { what: 'before' | 'after'; listener: string; instance: string; items: number[]; source: string; ok?: boolean[] }
  | { what: 'start' | 'end'; job: string; instance: string; item: number };

/** Listener classes bound to one recording (each app gets its own instances). */
function recording(steps: Step[]) {
  const items = (contexts: ShardingContexts) => Object.keys(contexts.shardingItemParameters).map(Number);
  const instanceOf = (contexts: ShardingContexts) => contexts.taskId.split('@-@READY@-@')[1]!;
  @Injectable()
  @JobListener({ order: 2 })
  class Audit implements ElasticJobListener {
    beforeJobExecuted(contexts: ShardingContexts) {
      steps.push({
        what: 'before',
        listener: 'Audit',
        instance: instanceOf(contexts),
        items: items(contexts),
        source: contexts.executionSource,
      });
    }
    async afterJobExecuted(contexts: ShardingContexts, result: JobRunResult) {
      await sleep(5);
      steps.push({
        what: 'after',
        listener: 'Audit',
        instance: instanceOf(contexts),
        items: items(contexts),
        source: contexts.executionSource,
        ok: result.items.map((item) => item.status === 'SUCCEEDED'),
      });
    }
  }
  @Injectable()
  @JobListener({ order: 1, jobs: ['report'] })
  class First implements ElasticJobListener {
    async beforeJobExecuted(contexts: ShardingContexts) {
      await sleep(20);
      steps.push({
        what: 'before',
        listener: 'First',
        instance: instanceOf(contexts),
        items: items(contexts),
        source: contexts.executionSource,
      });
    }
  }
  return { Audit, First };
}

function recordedJob(
  steps: Step[],
  instance: string,
  name: string,
  shardingTotalCount: number,
  run?: () => Promise<void>,
) {
  return jobClass(
    { name, cron: NEVER, shardingTotalCount },
    async (context) => {
      steps.push({ what: 'start', job: name, instance, item: context.shardingItem });
      await (run?.() ?? sleep(30));
      steps.push({ what: 'end', job: name, instance, item: context.shardingItem });
    },
    `Job_${name}`,
  );
}

async function cluster(steps: Step[], ids: string[], extra: (id: string) => unknown[] = () => []) {
  const namespace = uniqueNamespace('listeners');
  const started: TestApp[] = [];
  for (const id of ids) {
    const { Audit, First } = recording(steps);
    started.push(
      await apps.create(
        namespace,
        [
          recordedJob(steps, id, 'report', 3),
          recordedJob(steps, id, 'single', 1),
          Audit,
          First,
          ...(extra(id) as never[]),
        ],
        { instanceId: id },
      ),
    );
  }
  await waitFor('every item assigned', () =>
    ['report', 'single'].every(
      (job) =>
        started[0]!.operator.getInstances(job).reduce((sum, instance) => sum + instance.items.length, 0) ===
        (job === 'report' ? 3 : 1),
    ),
  );
  return started;
}

describe('local job listeners', () => {
  it('run in order around every fire on every instance, one with no item included, before any item starts and after all end', async () => {
    const steps: Step[] = [];
    const [a, b] = await cluster(steps, ['127.0.0.1@-@listen-a', '127.0.0.1@-@listen-b']);
    const runs = [a!, b!].map((app) => app.operator.nextRun('single', { source: 'MANUAL' }));
    await a!.operator.trigger('single');
    await Promise.all(runs);
    // A run is told once its items end; its after-listeners come right behind.
    await waitFor('both after-listeners', () => steps.filter((step) => step.what === 'after').length === 2);
    for (const app of [a!, b!]) {
      const mine = steps.filter((step) => step.instance === app.instanceId);
      const owns = app.operator.getInstances('single').find((i) => i.instanceId === app.instanceId)!.items;
      // `First` is only for `report`; `Audit` for every job.
      expect(mine.map((step) => step.what)).toEqual(
        owns.length ? ['before', 'start', 'end', 'after'] : ['before', 'after'],
      );
      expect(mine[0]).toMatchObject({ what: 'before', listener: 'Audit', items: owns, source: 'MANUAL' });
    }
    expect(steps.filter((step) => step.what === 'start')).toHaveLength(1);

    // A job with both listeners: `First` (order 1) before `Audit` (order 2), both before any
    // item starts here; `after` once every item here has ended, with how each ended.
    steps.length = 0;
    const reports = [a!, b!].map((app) => app.operator.nextRun('report', { source: 'MANUAL' }));
    await b!.operator.trigger('report');
    await Promise.all(reports);
    await waitFor('both after-listeners', () => steps.filter((step) => step.what === 'after').length === 2);
    for (const app of [a!, b!]) {
      const mine = steps.filter((step) => step.instance === app.instanceId);
      const items = app.operator.getInstances('report').find((i) => i.instanceId === app.instanceId)!.items;
      const kinds = mine.map((step) =>
        step.what === 'before' || step.what === 'after' ? `${step.what}:${step.listener}` : step.what,
      );
      expect(kinds.slice(0, 2)).toEqual(['before:First', 'before:Audit']);
      expect(kinds.at(-1)).toBe('after:Audit');
      expect(kinds.filter((kind) => kind === 'start')).toHaveLength(items.length);
      expect(mine.at(-1)).toMatchObject({ items, ok: items.map(() => true) });
    }
  });

  it('a listener that throws, or outlives its timeout, goes to the error handler, and the fire goes on', async () => {
    const steps: Step[] = [];
    const failures: unknown[] = [];
    @Injectable()
    class Collect implements JobErrorHandler {
      handleException(_job: string, error: unknown) {
        failures.push(error);
      }
    }
    const faulty = () => {
      @Injectable()
      @JobListener({ jobs: ['broken'], timeoutMs: 300 })
      class Faulty implements ElasticJobListener {
        beforeJobExecuted(): void {
          throw new Error('the audit database is down');
        }
        afterJobExecuted(): Promise<void> {
          return new Promise(() => undefined);
        }
      }
      return Faulty;
    };
    const Broken = jobClass(
      { name: 'broken', cron: NEVER, shardingTotalCount: 2, jobErrorHandlerType: Collect },
      async (context) => {
        steps.push({ what: 'start', job: 'broken', instance: 'one', item: context.shardingItem });
      },
      'Broken',
    );
    const app = await apps.create(uniqueNamespace('listeners-faulty'), [Broken, faulty(), Collect]);
    const run = await app.operator.triggerAndWait('broken');
    expect(run.items.map((item) => item.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(steps).toHaveLength(2);
    await waitFor('the hanging after-listener timed out', () => failures.length === 2, 10_000);
    expect(failures.every((failure) => failure instanceof ListenerFailedError)).toBe(true);
    expect(String(failures[0])).toMatch(/Listener Faulty.beforeJobExecuted of job "broken" threw; the fire went on/);
    expect(((failures[0] as Error).cause as Error).message).toBe('the audit database is down');
    expect(String(failures[1])).toMatch(/Faulty.afterJobExecuted of job "broken" did not return within 300 ms/);
    // The next fire is not held up by the one before.
    const again = await app.operator.triggerAndWait('broken');
    expect(again.items).toHaveLength(2);
  });

  it('refuses at startup a listener of an unknown job, bad options, or one with nothing to call', async () => {
    const Job = jobClass({ name: 'report', cron: NEVER, shardingTotalCount: 1 }, () => undefined);
    const cases: Array<[object, RegExp]> = [
      [
        { jobs: ['reprot'] },
        /names job "reprot", which is not a job of this app \("report"\)\. Did you mean "report"\?/,
      ],
      [{ timeoutMs: 0 }, /timeoutMs 0 must be a positive integer/],
      [{ order: 1.5 }, /order 1.5 must be an integer/],
      [{ job: ['report'] }, /Unknown option "job" in @JobListener\(\) on Listener: did you mean "jobs"\?/],
    ];
    for (const [options, message] of cases) {
      @Injectable()
      @JobListener(options as never)
      class Listener implements ElasticJobListener {
        beforeJobExecuted() {}
      }
      const app = await apps.create(uniqueNamespace('listeners-bad'), [Job, Listener], {}, false);
      const failed = await app.app.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(InvalidJobOptionsError);
      expect(String(failed)).toMatch(message);
    }
    @Injectable()
    @JobListener()
    class Empty {}
    const app = await apps.create(uniqueNamespace('listeners-bad'), [Job, Empty], {}, false);
    await expect(app.app.init()).rejects.toThrow(/Empty: the class has neither beforeJobExecuted nor afterJobExecuted/);
  });
});
