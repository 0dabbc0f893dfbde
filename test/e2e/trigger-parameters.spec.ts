import { describe, expect, it } from 'vitest';
import { InvalidJobOptionsError } from '../../lib/errors/invalid-job-options.error.js';
import type { JobEvent } from '../../lib/interfaces/job-event.interface.js';
import { JobEventStream } from '../../lib/events/job-event-stream.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { useZooKeeperServer } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

// A trigger with its own job parameter (ElasticJob #1809): two instances of a real Nest app
// against a real ZooKeeper; what each handler saw is recorded.

const zookeeper = useZooKeeperServer();
const { apps, registries } = zookeeper;
const NEVER = '0 0 0 1 1 ? 2099';

interface Seen {
  instance: string;
  item: number;
  jobParameter: string;
  source: string;
}

async function twoInstances(gate?: () => Promise<void>) {
  const namespace = uniqueNamespace('trigger-parameter');
  const seen: Seen[] = [];
  const started: TestApp[] = [];
  for (const suffix of ['a', 'b']) {
    const instanceId = `127.0.0.1@-@param-${suffix}`;
    const Job = jobClass(
      { name: 'report', cron: NEVER, shardingTotalCount: 4, jobParameter: 'configured' },
      async (context) => {
        seen.push({
          instance: instanceId,
          item: context.shardingItem,
          jobParameter: context.jobParameter,
          source: context.executionSource,
        });
        await gate?.();
      },
    );
    started.push(await apps.create(namespace, [Job], { instanceId }));
  }
  await waitFor('both instances with items', async () =>
    started.every((app) => app.operator.getInstances('report').every((instance) => instance.items.length === 2)),
  );
  return { namespace, seen, apps: started };
}

describe('a trigger with its own job parameter', () => {
  it("runs every item once across the cluster with the trigger's parameter, and leaves the configuration as it is", async () => {
    const {
      seen,
      apps: [a, b],
    } = await twoInstances();
    const events: JobEvent[] = [];
    a!.app.get(JobEventStream).on((event) => events.push(event), ['fire-scheduled']);
    const other = b!.operator.nextRun('report', { source: 'MANUAL' });
    const run = await a!.operator.triggerAndWait('report', { jobParameter: 'backfill 2026-11' });
    await other;
    expect(run.items.every((item) => item.status === 'SUCCEEDED')).toBe(true);
    expect(seen.map((entry) => entry.item).sort()).toEqual([0, 1, 2, 3]);
    expect(new Set(seen.map((entry) => entry.jobParameter))).toEqual(new Set(['backfill 2026-11']));
    expect(new Set(seen.map((entry) => entry.instance)).size).toBe(2);
    expect(events).toMatchObject([{ type: 'fire-scheduled', source: 'MANUAL', jobParameter: 'backfill 2026-11' }]);
    expect(a!.operator.getJobConfiguration('report').jobParameter).toBe('configured');

    // A trigger without one runs with the configuration's.
    seen.length = 0;
    const plainOther = b!.operator.nextRun('report', { source: 'MANUAL' });
    await a!.operator.triggerAndWait('report');
    await plainOther;
    expect(seen.map((entry) => entry.jobParameter)).toEqual(['configured', 'configured', 'configured', 'configured']);
    expect(events[1]).not.toHaveProperty('jobParameter');
  });

  it('keeps its parameter when it waits behind a run of the same items', async () => {
    let release!: () => void;
    let hold = new Promise<void>((resolve) => (release = resolve));
    const {
      seen,
      apps: [a, b],
    } = await twoInstances(() => hold);
    const first = a!.operator.triggerAndWait('report', { jobParameter: 'first', timeoutMs: 30_000 });
    await waitFor('the first trigger running everywhere', () => seen.length === 4);
    // Triggered again while every item still runs: queued behind them, with its own parameter.
    const queued: JobEvent[] = [];
    for (const app of [a, b]) app!.app.get(JobEventStream).on((event) => queued.push(event), ['fire-scheduled']);
    const second = b!.operator.triggerAndWait('report', { jobParameter: 'second', timeoutMs: 30_000 });
    await waitFor(
      'the second trigger queued on both instances',
      () => queued.filter((event) => event.type === 'fire-scheduled' && event.queued.length === 2).length === 2,
    );
    expect(seen).toHaveLength(4);
    hold = Promise.resolve();
    release();
    await Promise.all([first, second]);
    await waitFor('the second run everywhere', () => seen.length === 8);
    const byRun = (parameter: string) =>
      seen
        .filter((entry) => entry.jobParameter === parameter)
        .map((entry) => entry.item)
        .sort();
    expect(byRun('first')).toEqual([0, 1, 2, 3]);
    expect(byRun('second')).toEqual([0, 1, 2, 3]);
  });

  it('refuses a parameter that is not a string, or an unknown option, and triggers nothing', async () => {
    const {
      namespace,
      seen,
      apps: [a],
    } = await twoInstances();
    const registry = await registries.open({ namespace });
    const refused = async (options: unknown) => {
      let error: unknown;
      try {
        await a!.operator.trigger('report', options as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidJobOptionsError);
      return String(error);
    };
    expect(await refused({ jobParameter: 42 })).toMatch(/jobParameter.*a string of at most 65536 characters/);
    expect(await refused({ jobParamter: 'x' })).toMatch(/did you mean "jobParameter"/);
    expect(await refused({ jobParameter: 'x'.repeat(65_537) })).toMatch(/at most 65536/);
    expect(await registry.getChildrenKeys('/report/trigger')).toEqual([]);
    expect(seen).toEqual([]);
  });
});
