import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../lib/coordination/sharding-plan.js';
import type { ChildInstance } from '../support/child-instances.js';
import { exactlyOnceProblems, type FireRecord } from '../support/fires.js';
import { useChildCluster } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

const cluster = useChildCluster();
const registries = cluster.registries;

function start(
  instanceId: string,
  namespace: string,
  records: FireRecord[],
  env: Record<string, string> = {},
): ChildInstance {
  return cluster.spawn(instanceId, { NAMESPACE: namespace, ...env }, records);
}

const settledUntil = () => Math.floor((Date.now() - 2_000) / 1_000) * 1_000;

describe('instances in separate processes (nothing shared but ZooKeeper)', () => {
  it('3 processes share a 6-item job: every (fire, item) exactly once, through joins and a graceful leave', async () => {
    const namespace = uniqueNamespace('processes');
    const records: FireRecord[] = [];
    const ids = ['10.1.0.1@-@11', '10.1.0.2@-@12', '10.1.0.3@-@13'];
    const started: ChildInstance[] = [];
    for (const id of ids) {
      const child = start(id, namespace, records);
      started.push(child);
      await waitFor(`${id} ready`, () => child.events.includes('ready') || child.exited, 30_000);
      expect(child.exited, child.output).toBe(false);
    }
    await waitFor('all three run items', () => ids.every((id) => records.some((r) => r.instance === id)), 10_000);
    const allThree = Math.max(
      ...ids.map((id) => Math.min(...records.filter((r) => r.instance === id).map((r) => r.fireTime))),
    );
    await waitFor(
      '8 fires with all three',
      () => records.filter((r) => r.item === 0 && r.fireTime >= allThree).length >= 8,
      20_000,
    );
    await started[1]!.stop();
    await waitFor(
      '4 fires after the leave',
      () =>
        records.filter((r) => r.item === 0 && r.fireTime >= Date.now() - 1_000).length >= 1 &&
        settledUntil() > allThree + 12_000,
      20_000,
    );

    const first = Math.min(...records.map((r) => r.fireTime));
    expect(exactlyOnceProblems(records, first, settledUntil(), () => 6)).toEqual([]);
    expect(new Set(records.filter((r) => r.fireTime >= allThree).map((r) => r.instance))).toEqual(new Set(ids));
  });

  it('the leader killed (SIGKILL) after writing assignments, before clearing the flag: the next leader reshards, no item is lost', async () => {
    const namespace = uniqueNamespace('leader-killed');
    const records: FireRecord[] = [];
    const zk = await registries.open({ namespace });
    const leader = start('10.2.0.1@-@21', namespace, records, { HANG_ON_SHARDING: '2' });
    await waitFor('leader ready', () => leader.events.includes('ready') || leader.exited, 30_000);
    expect(leader.exited, leader.output).toBe(false);
    await waitFor('leader runs everything', () => records.some((r) => r.instance === '10.2.0.1@-@21'), 10_000);

    const follower = start('10.2.0.2@-@22', namespace, records);
    await waitFor(
      'the leader stopped before clearing the flag',
      () => leader.events.includes('about-to-clear-flag'),
      30_000,
    );
    leader.kill();
    const killedAt = Date.now();
    // The state a leader dying there leaves: new assignments written, the flag still raised.
    expect(await zk.isExisted('/cluster-job/leader/sharding/necessary')).toBe(true);
    expect(follower.events).toContain('ready');

    // Its session expires (4 s), the follower is elected and reshards.
    await waitFor(
      'the follower leads',
      async () => (await zk.getDirectly('/cluster-job/leader/election/instance')) === '10.2.0.2@-@22',
      15_000,
    );
    await waitFor(
      'flag cleared by the new leader',
      async () => !(await zk.isExisted('/cluster-job/leader/sharding/necessary')),
      10_000,
    );
    const plan = parsePlan((await zk.getDirectly('/cluster-job/leader/sharding/plan')) ?? '')!;
    expect(plan.leader).toBe('10.2.0.2@-@22');
    const latest = plan.entries.at(-1)!;
    expect(Object.values(latest.items)).toEqual(Array(6).fill('10.2.0.2@-@22'));
    // ElasticJob's nodes show it by the time it applies (they are written just before).
    await waitFor(
      'sharding/{i}/instance naming the new leader',
      async () => {
        for (let item = 0; item < 6; item += 1) {
          if ((await zk.getDirectly(`/cluster-job/sharding/${item}/instance`)) !== '10.2.0.2@-@22') return false;
        }
        return true;
      },
      Math.max(latest.from - Date.now(), 0) + 5_000,
    );
    await waitFor('three fires on the new assignment', () => settledUntil() >= latest.from + 3_000, 10_000);
    // From the new assignment on, every item of every fire runs once; before the crash too.
    expect(exactlyOnceProblems(records, latest.from, settledUntil(), () => 6)).toEqual([]);
    const first = Math.min(...records.map((r) => r.fireTime));
    expect(exactlyOnceProblems(records, first, Math.floor(killedAt / 1_000) * 1_000 - 1_000, () => 6)).toEqual([]);
  });
});
