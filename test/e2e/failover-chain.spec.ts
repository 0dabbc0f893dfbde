import { describe, expect, it } from 'vitest';
import type { FireRecord } from '../support/fires.js';
import { useChildCluster } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

const cluster = useChildCluster();
const registries = cluster.registries;

const JOB = 'long-job';

function env(namespace: string, extra: Record<string, string> = {}) {
  return {
    NAMESPACE: namespace,
    JOB,
    COUNT: '1',
    CRON: '0 0 3 * * ?',
    ITEM_MS: '8000',
    FAILOVER: 'true',
    SESSION_TIMEOUT_MS: '4000',
    ...extra,
  };
}

async function start(id: string, namespace: string, records: FireRecord[], extra: Record<string, string> = {}) {
  const child = cluster.spawn(id, env(namespace, extra), records);
  await waitFor(`${id} ready`, () => child.events.includes('ready') || child.exited, 30_000);
  expect(child.exited, child.output).toBe(false);
  return child;
}

describe('failover, further faults', () => {
  it('an instance killed while running failed-over items: they fail over again', async () => {
    const namespace = uniqueNamespace('chain');
    const records: FireRecord[] = [];
    const zk = await registries.open({ namespace });
    const a = await start('10.4.0.1@-@41', namespace, records);
    // The one item runs on a: trigger it, then kill a in the middle.
    await zk.persist(`/${JOB}/trigger/10.4.0.1@-@41`, '');
    await waitFor('a runs the item', () => records.some((r) => r.instance === a.instanceId), 10_000);
    const b = await start('10.4.0.2@-@42', namespace, records);
    const c = await start('10.4.0.3@-@43', namespace, records);
    a.kill();
    const first = await waitFor('a first failover', () => records.find((r) => r.source === 'FAILOVER'), 12_000);
    const taker = first.instance === b.instanceId ? b : c;
    const other = taker === b ? c : b;
    taker.kill();
    const second = await waitFor('a second failover', () => records.filter((r) => r.source === 'FAILOVER')[1], 12_000);
    expect(second.instance).toBe(other.instanceId);
    expect(second.item).toBe(0);
    await waitFor('cleaned up', async () => !(await zk.isExisted(`/${JOB}/sharding/0/failovering`)), 15_000);
    expect(records.filter((r) => r.source === 'FAILOVER')).toHaveLength(2);
  });

  it('graceful shutdown aborts what outlives its deadline; survivors take it at once, not after a session timeout', async () => {
    const namespace = uniqueNamespace('drain');
    const records: FireRecord[] = [];
    const zk = await registries.open({ namespace });
    const a = await start('10.5.0.1@-@51', namespace, records, { ITEM_MS: '20000' });
    await zk.persist(`/${JOB}/trigger/10.5.0.1@-@51`, '');
    await waitFor('a runs the item', () => records.some((r) => r.instance === a.instanceId), 10_000);
    await start('10.5.0.2@-@52', namespace, records);
    const closing = Date.now();
    await a.stop(); // shutdownTimeoutMs is 3 s in the child
    const failover = await waitFor('the survivor takes it', () => records.find((r) => r.source === 'FAILOVER'), 10_000);
    expect(failover.instance).toBe('10.5.0.2@-@52');
    // Drain deadline (3 s) and abort grace (1 s), not the 4 s session timeout on top.
    expect(failover.startedAt! - closing).toBeLessThan(3_000 + 1_000 + 1_500);
  });

  it('a sole instance restarted after a crash picks up its own orphaned running item', async () => {
    const namespace = uniqueNamespace('sole');
    const records: FireRecord[] = [];
    const zk = await registries.open({ namespace });
    const a = await start('10.6.0.1@-@61', namespace, records);
    await zk.persist(`/${JOB}/trigger/10.6.0.1@-@61`, '');
    await waitFor('a runs the item', () => records.some((r) => r.instance === a.instanceId), 10_000);
    a.kill();
    // The persistent running node stays behind.
    expect(await zk.getDirectly(`/${JOB}/sharding/0/running`)).toBe('10.6.0.1@-@61');
    await start('10.6.0.1@-@61', namespace, records);
    const failover = await waitFor('picked up', () => records.find((r) => r.source === 'FAILOVER'), 10_000);
    expect(failover.item).toBe(0);
  });
});
