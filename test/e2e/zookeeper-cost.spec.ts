// What a fire costs ZooKeeper, counted by each instance's registry center: no reads on the
// hot path; with monitorExecution one create and one delete per local item, without it none.
import { describe, expect, it } from 'vitest';
import { ELASTIC_JOB_REGISTRY_CENTER } from '../../lib/elastic-job.constants.js';
import type { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import { ExecutionLog, jobClass, type TestApp } from '../support/nest-apps.js';
import { useZooKeeperServer } from '../support/suite.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

const zookeeper = useZooKeeperServer();
const ITEMS = 10;

async function steadyCluster(monitorExecution: boolean) {
  const namespace = uniqueNamespace('cost');
  const log = new ExecutionLog();
  const apps: TestApp[] = [];
  for (const name of ['a', 'b', 'c']) {
    const job = jobClass(
      { name: 'cost', cron: '* * * * * ?', shardingTotalCount: ITEMS, monitorExecution },
      (context) => log.record(name, context),
    );
    apps.push(await zookeeper.apps.create(namespace, [job], { instanceId: `127.0.0.1@-@${name}` }));
  }
  // Steady: a fire in which all three ran items, and no resharding pending.
  await waitFor(
    'a fire with items on all three instances',
    () => {
      const byFire = new Map<number, Set<string>>();
      for (const e of log.of('cost')) byFire.set(e.fireTime, (byFire.get(e.fireTime) ?? new Set()).add(e.instance));
      return [...byFire.values()].some((instances) => instances.size === 3);
    },
    30_000,
  );
  await sleep(1_500);
  return { apps, log };
}

function counts(app: TestApp): Record<string, number> {
  return (app.app.get(ELASTIC_JOB_REGISTRY_CENTER) as ZookeeperRegistryCenter).requestCounts();
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [op, n] of Object.entries(after)) if (n - (before[op] ?? 0) > 0) result[op] = n - (before[op] ?? 0);
  return result;
}

describe('ZooKeeper requests per fire (3 instances, 10 items, every second)', () => {
  it.each([true, false])('monitorExecution %s', async (monitorExecution) => {
    const { apps, log } = await steadyCluster(monitorExecution);
    const before = apps.map(counts);
    const from = Date.now();
    await sleep(4_000);
    const after = apps.map(counts);
    const to = Date.now();

    // Runs between the two readings, per instance, completed before the second one.
    const runs = log.of('cost').filter((e) => e.startedAt >= from && e.startedAt < to - 500);
    const fires = new Set(runs.map((e) => e.fireTime));
    expect(fires.size).toBeGreaterThanOrEqual(3);
    apps.forEach((_app, index) => {
      const sent = delta(before[index], after[index]);
      const name = ['a', 'b', 'c'][index];
      const ran = log.of('cost').filter((e) => e.instance === name && e.startedAt >= from && e.startedAt < to);
      // No reads at all, whatever the mode.
      expect(sent.getData ?? 0, `${name} getData`).toBe(0);
      expect(sent.getChildren ?? 0, `${name} getChildren`).toBe(0);
      expect(sent.exists ?? 0, `${name} exists`).toBe(0);
      if (monitorExecution) {
        // One create and one delete per item run (a run at the window's edge may have only one).
        expect(Math.abs((sent.create ?? 0) - ran.length), `${name} creates`).toBeLessThanOrEqual(4);
        expect(Math.abs((sent.delete ?? 0) - ran.length), `${name} deletes`).toBeLessThanOrEqual(4);
        expect(Object.keys(sent).sort()).toEqual(['create', 'delete']);
      } else {
        expect(sent).toEqual({});
      }
    });
  });
});
