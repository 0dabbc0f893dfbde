import { describe, expect, it } from 'vitest';
import { NamespaceView } from '../../lib/coordination/namespace-view.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { RecordingLogger } from '../support/registry.js';
import { useZooKeeperServer } from '../support/suite.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

// ElasticJob's shutdown of one instance (its instances/{id} node deleted by an operator) while
// that instance runs an item of a job with failover on: the item is not failed over while it
// still runs there. Judged from every handler start and end.

const zookeeper = useZooKeeperServer();

describe("an operator's shutdown of an instance", () => {
  it('with failover on: its running item finishes there and is not run elsewhere meanwhile; its marker goes after', async () => {
    const namespace = uniqueNamespace('shutdown-failover');
    const runs: Array<{ instance: string; item: number; what: 'start' | 'end'; at: number }> = [];
    const apps: TestApp[] = [];
    for (const suffix of ['a', 'b']) {
      const instance = `127.0.0.1@-@stop-${suffix}`;
      const Job = jobClass(
        { name: 'slow', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 2, failover: true },
        async (context) => {
          runs.push({ instance, item: context.shardingItem, what: 'start', at: Date.now() });
          await sleep(2_500);
          runs.push({ instance, item: context.shardingItem, what: 'end', at: Date.now() });
        },
      );
      apps.push(await zookeeper.apps.create(namespace, [Job], { instanceId: instance }));
    }
    const [a, b] = apps as [TestApp, TestApp];
    await waitFor('one item each', () =>
      a.operator.getInstances('slow').every((instance) => instance.items.length === 1),
    );
    const registry = await zookeeper.registries.open({ namespace });
    const view = await NamespaceView.open(registry, new RecordingLogger());
    await a.operator.trigger('slow');
    await waitFor('both items running', () => runs.filter((run) => run.what === 'start').length === 2);
    const aItem = runs.find((run) => run.instance === a.instanceId)!.item;
    await view.shutdownInstance('slow', a.instanceId);
    expect(await registry.isExisted(`/slow/leaving/${a.instanceId}`)).toBe(true);
    const ended = await waitFor(
      'A ends its item',
      () => runs.find((run) => run.instance === a.instanceId && run.what === 'end'),
      20_000,
    );
    // Nobody else started A's item while A ran it.
    expect(runs.filter((run) => run.item === aItem && run.instance !== a.instanceId && run.at < ended.at)).toEqual([]);
    // Its runs over, A takes the marker away; the job is B's from then on.
    await waitFor('the marker gone', async () => !(await registry.isExisted(`/slow/leaving/${a.instanceId}`)));
    await waitFor(
      'B with both items',
      () =>
        b.operator.getInstances('slow').find((instance) => instance.instanceId === b.instanceId)?.items.length === 2,
    );
    expect(runs.filter((run) => run.item === aItem && run.what === 'start')).toHaveLength(1);
  });
});
