import { describe, expect, it } from 'vitest';
import type { FireRecord } from '../support/fires.js';
import { useChildCluster } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

const cluster = useChildCluster();
const registries = cluster.registries;

const SESSION_TIMEOUT_MS = 4_000;
const JOB = 'long-job';

async function startPair(namespace: string, records: FireRecord[], failover: boolean) {
  const env = {
    NAMESPACE: namespace,
    JOB,
    COUNT: '2',
    CRON: '0/10 * * * * ?',
    ITEM_MS: '7000',
    FAILOVER: String(failover),
    SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
  };
  const victim = cluster.spawn('10.3.0.1@-@31', env, records);
  await waitFor('first ready', () => victim.events.includes('ready') || victim.exited, 30_000);
  const survivor = cluster.spawn('10.3.0.2@-@32', env, records);
  await waitFor('second ready', () => survivor.events.includes('ready') || survivor.exited, 30_000);
  expect(victim.exited || survivor.exited, victim.output + survivor.output).toBe(false);
  return { victim, survivor };
}

/** A fire where both instances run an item, caught in its first second on the victim. */
function victimInItem(records: readonly FireRecord[], victim: string): Promise<FireRecord> {
  return waitFor(
    'the victim in the middle of an item',
    () => {
      const fire = records.findLast(
        (r) =>
          r.instance === victim &&
          r.source === 'NORMAL_TRIGGER' &&
          records.some((o) => o.fireTime === r.fireTime && o.instance !== r.instance),
      );
      return fire && Date.now() - fire.startedAt! < 1_000 ? fire : undefined;
    },
    40_000,
    20,
  );
}

describe('failover after a SIGKILL', () => {
  it('failover: true: the item the killed instance was running starts again on a survivor, exactly once, within the session timeout + 2 s', async () => {
    const namespace = uniqueNamespace('failover');
    const records: FireRecord[] = [];
    const { victim } = await startPair(namespace, records, true);
    // Wait for a fire where both instances have an item, then kill the first in the middle of its item.
    const running = await victimInItem(records, victim.instanceId);
    victim.kill();
    const killedAt = Date.now();

    const failover = await waitFor(
      'a FAILOVER run',
      () => records.find((r) => r.source === 'FAILOVER'),
      SESSION_TIMEOUT_MS + 6_000,
    );
    expect(failover.item).toBe(running.item);
    expect(failover.instance).toBe('10.3.0.2@-@32');
    expect(failover.startedAt! - killedAt).toBeLessThan(SESSION_TIMEOUT_MS + 2_000);

    const zk = await registries.open({ namespace });
    // Cleaned up once the failover run is over (7 s), and run exactly once.
    await waitFor(
      'failover nodes cleaned up',
      async () => !(await zk.isExisted(`/${JOB}/sharding/${running.item}/failovering`)),
      15_000,
    );
    expect(await zk.isExisted(`/${JOB}/sharding/${running.item}/failover`)).toBe(false);
    expect(await zk.getChildrenKeys(`/${JOB}/leader/failover/items`)).toEqual([]);
    expect(records.filter((r) => r.source === 'FAILOVER')).toHaveLength(1);
  });

  it("failover: false: the killed instance's item is not re-run; the next fire runs it on a survivor", async () => {
    const namespace = uniqueNamespace('no-failover');
    const records: FireRecord[] = [];
    const { victim } = await startPair(namespace, records, false);
    const running = await victimInItem(records, victim.instanceId);
    victim.kill();
    const next = await waitFor(
      'a later fire runs the item on the survivor',
      () =>
        records.find((r) => r.item === running.item && r.instance === '10.3.0.2@-@32' && r.fireTime > running.fireTime),
      30_000,
    );
    expect(next.source).toBe('NORMAL_TRIGGER');
    expect(records.filter((r) => r.source === 'FAILOVER')).toEqual([]);
  });
});
