import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { useZooKeeperServer } from '../support/suite.js';
import { ElasticJobOrchestrator } from '../../lib/elastic-job.orchestrator.js';
import type { JobShardingStrategy } from '../../lib/interfaces/job-sharding-strategy.interface.js';
import type { ElasticJobOptions } from '../../lib/interfaces/elastic-job-options.interface.js';
import { parsePlan } from '../../lib/coordination/sharding-plan.js';
import { exactlyOnceProblems, expectedOwners, type FireRecord } from '../support/fires.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

const zookeeper = useZooKeeperServer();
const { apps, registries } = zookeeper;

const JOB = 'cluster-job';

/** A cluster of Nest apps in this process, each recording what it runs. */
class Cluster {
  readonly records: FireRecord[] = [];
  readonly apps = new Map<string, TestApp>();

  constructor(
    readonly namespace: string,
    private readonly options: Partial<ElasticJobOptions> = {},
  ) {}

  async start(id: string, serverIp = '127.0.0.1', more: Type[] = []): Promise<TestApp> {
    const Job = jobClass({ name: JOB, cron: '* * * * * ?', shardingTotalCount: 6, ...this.options }, (ctx) => {
      this.records.push({
        fireTime: ctx.fireTime.getTime(),
        item: ctx.shardingItem,
        instance: id,
        source: ctx.executionSource,
      });
    });
    const app = await apps.create(this.namespace, [Job, ...more], { instanceId: id, serverIp });
    this.apps.set(id, app);
    return app;
  }

  async stop(id: string): Promise<void> {
    await this.apps.get(id)!.app.close();
    this.apps.delete(id);
  }

  firstRunOf(id: string): number | undefined {
    return this.records.find((r) => r.instance === id)?.fireTime;
  }

  /** Fires every instance has surely finished: from the first one to two seconds ago. */
  settledRange(): [number, number] {
    const first = Math.min(...this.records.map((r) => r.fireTime));
    const last = Math.floor((Date.now() - 2_000) / 1_000) * 1_000;
    return [first, last];
  }
}

describe('a cluster of instances: exactly once per item per fire', () => {
  it('3 instances, 6 items, 20 fires: every (fire, item) exactly once, spread as AVG_ALLOCATION says', async () => {
    const cluster = new Cluster(uniqueNamespace('three'));
    const ids = ['10.0.0.1@-@101', '10.0.0.2@-@102', '10.0.0.3@-@103'];
    for (const id of ids) await cluster.start(id);
    await waitFor('all three running items', () => ids.every((id) => cluster.firstRunOf(id) !== undefined), 10_000);
    const steadyFrom = Math.max(...ids.map((id) => cluster.firstRunOf(id)!));
    await waitFor(
      '20 fires with all three',
      () => cluster.records.filter((r) => r.fireTime >= steadyFrom && r.item === 0).length >= 23,
      40_000,
    );
    const [first, last] = cluster.settledRange();

    expect(exactlyOnceProblems(cluster.records, first, last, () => 6)).toEqual([]);
    const steady = cluster.records.filter((r) => r.fireTime >= steadyFrom && r.fireTime <= last);
    expect(new Set(steady.map((r) => r.fireTime)).size).toBeGreaterThanOrEqual(20);
    const owners = expectedOwners(ids, 6);
    for (const record of steady) expect(record.instance).toBe(owners.get(record.item));
    // ElasticJob's order: instances reverse lexicographic, 2 items each.
    expect([...owners]).toEqual([
      [0, '10.0.0.3@-@103'],
      [1, '10.0.0.3@-@103'],
      [2, '10.0.0.2@-@102'],
      [3, '10.0.0.2@-@102'],
      [4, '10.0.0.1@-@101'],
      [5, '10.0.0.1@-@101'],
    ]);
  });

  it('join, graceful leave, leader leave and a count change: no fire skipped or doubled', async () => {
    const namespace = uniqueNamespace('churn');
    const cluster = new Cluster(namespace);
    const zk = await registries.open({ namespace });
    const leader = () => zk.getDirectly(`/${JOB}/leader/election/instance`);
    const [a, b, c, d] = ['10.0.1.1@-@1', '10.0.1.2@-@2', '10.0.1.3@-@3', '10.0.1.4@-@4'];
    await cluster.start(a!);
    await cluster.start(b!);
    await cluster.start(c!);
    await waitFor('three running', () => [a, b, c].every((id) => cluster.firstRunOf(id!) !== undefined), 10_000);
    expect(await leader()).toBe(a);

    // A 4th instance joins: it owns items from the next fire the new assignment applies to.
    const joinedAt = Date.now();
    await cluster.start(d!);
    await waitFor('the 4th runs items', () => cluster.firstRunOf(d!) !== undefined, 5_000);
    expect(cluster.firstRunOf(d!)! - joinedAt).toBeLessThan(2_600);
    // The log tells it: the join and the resharding on the leader, the leadership on the joiner.
    const said = (id: string, text: string) =>
      cluster.apps.get(id)!.logger.lines.some((line) => line.level === 'log' && line.message.includes(text));
    await waitFor('the join in the logs', () => said(a!, `Instance ${d} joined job "${JOB}"`), 10_000);
    await waitFor('the resharding in the leader log', () => said(a!, `Resharded job as leader: "${JOB}"`), 10_000);
    await waitFor(
      'the leader in the joiner log',
      () => said(d!, `Instance ${a} is the leader of job "${JOB}"`),
      10_000,
    );

    // A follower leaves gracefully: it keeps its items until the assignment without it applies.
    await sleep(1_500);
    const bLeftAt = Date.now();
    await cluster.stop(b!);
    const bLast = Math.max(...cluster.records.filter((r) => r.instance === b).map((r) => r.fireTime));
    expect(bLast).toBeLessThan(bLeftAt + 2_600);
    expect(await zk.isExisted(`/${JOB}/instances/${b}`)).toBe(false);

    // The leader leaves: another is elected and reshards.
    await sleep(1_500);
    await cluster.stop(a!);
    await waitFor('a new leader', async () => [c, d].includes((await leader()) ?? ''), 5_000);
    const newLeader = await leader();
    await waitFor(
      'the new leader published the assignment without a and b',
      async () => {
        const plan = parsePlan((await zk.getDirectly(`/${JOB}/leader/sharding/plan`)) ?? '');
        const latest = plan?.entries.at(-1);
        return (
          plan?.leader === newLeader &&
          latest !== undefined &&
          Object.values(latest.items).every((owner) => owner === c || owner === d)
        );
      },
      5_000,
    );

    // shardingTotalCount 6 -> 9 at runtime.
    await sleep(1_500);
    const updated = await cluster.apps.get(c!)!.operator.updateJobConfiguration(JOB, { shardingTotalCount: 9 });
    expect(updated.shardingTotalCount).toBe(9);
    await waitFor('fires with 9 items', () => cluster.records.some((r) => r.item === 8), 5_000);
    const nineFrom = Math.min(...cluster.records.filter((r) => r.item >= 6).map((r) => r.fireTime));
    await sleep(3_500);

    const [first, last] = cluster.settledRange();
    expect(exactlyOnceProblems(cluster.records, first, last, (fire) => (fire >= nineFrom ? 9 : 6))).toEqual([]);
    expect(
      cluster.records.filter((r) => r.fireTime >= nineFrom).every((r) => r.instance === c || r.instance === d),
    ).toBe(true);
    expect(await zk.getChildrenKeys(`/${JOB}/sharding`)).toHaveLength(9);
  });

  it('an instance whose app initialises slowly is given items only once its timers run: no fire is lost', async () => {
    const namespace = uniqueNamespace('slow-init');
    const cluster = new Cluster(namespace);
    const [a, b] = ['10.0.2.1@-@1', '10.0.2.2@-@2'];
    await cluster.start(a!);
    await waitFor('a runs items', () => cluster.firstRunOf(a!) !== undefined, 10_000);
    // b's app has a provider that takes 2.5 s in onModuleInit, after ElasticJobModule's own:
    // fires go by while b is registered in ZooKeeper but has no timer yet.
    let initialising = false;
    let initialisingFrom = 0;
    @Injectable()
    class SlowStart implements OnModuleInit {
      async onModuleInit() {
        initialising = true;
        initialisingFrom = Date.now();
        await sleep(2_500);
        initialising = false;
      }
    }
    const starting = cluster.start(b!, '127.0.0.1', [SlowStart]);
    await waitFor('b is initialising', () => initialising, 10_000);
    const zk = await registries.open({ namespace });
    const membersWhileInitialising = await zk.getChildrenKeys(`/${JOB}/instances`);
    await starting;
    await waitFor('b runs items', () => cluster.firstRunOf(b!) !== undefined, 5_000);
    await sleep(2_500);

    const [first, last] = cluster.settledRange();
    // Every fire from before b began initialising to after its first run is judged.
    expect(first).toBeLessThan(initialisingFrom);
    expect(last).toBeGreaterThanOrEqual(cluster.firstRunOf(b!)!);
    expect(exactlyOnceProblems(cluster.records, first, last, () => 6)).toEqual([]);
    expect(membersWhileInitialising).toEqual([a]);
  });

  it.each([
    ['a follower', 'b'],
    ['the leader', 'a'],
  ])(
    '%s stopped while the next fire is an hour away leaves at once, not at the shutdown deadline',
    async (_, who) => {
      const namespace = uniqueNamespace(`hourly-${who}`);
      const Job = jobClass({ name: 'hourly', cron: '0 0 * * * ?', shardingTotalCount: 4 }, () => undefined);
      const ids = { a: '10.0.3.1@-@1', b: '10.0.3.2@-@2' };
      const options = { serverIp: '127.0.0.1', shutdownTimeoutMs: 30_000 };
      const a = await apps.create(namespace, [Job], { ...options, instanceId: ids.a });
      const b = await apps.create(namespace, [Job], { ...options, instanceId: ids.b });
      await waitFor(
        'both own items',
        async () => new Set((await a.operator.getShardingInfo('hourly')).map((info) => info.instanceId)).size === 2,
        10_000,
      );
      const leaver = who === 'a' ? a : b;
      const stayer = who === 'a' ? b : a;
      const startedAt = Date.now();
      await leaver.app.close();
      const tookMs = Date.now() - startedAt;
      // Nothing runs and the next fire is far: the leave waits for nothing (the deadline is 30 s).
      expect(tookMs).toBeLessThan(10_000);
      await waitFor(
        'the stayer owns every item',
        async () =>
          (await stayer.operator.getShardingInfo('hourly')).every(
            (info) => info.instanceId === (who === 'a' ? ids.b : ids.a),
          ),
        10_000,
      );
    },
    60_000,
  );

  it('a server disabled through JobOperator gets no items and gives up leadership; enabled, it gets them back', async () => {
    const namespace = uniqueNamespace('disable');
    const cluster = new Cluster(namespace);
    const zk = await registries.open({ namespace });
    const [a, b] = ['127.0.0.1@-@1', '127.0.0.2@-@2'];
    const appA = await cluster.start(a!, '127.0.0.1');
    await cluster.start(b!, '127.0.0.2');
    await waitFor(
      'both running',
      () => cluster.firstRunOf(a!) !== undefined && cluster.firstRunOf(b!) !== undefined,
      10_000,
    );
    expect(await zk.getDirectly(`/${JOB}/leader/election/instance`)).toBe(a);

    const disabledAt = Date.now();
    await appA.operator.disableServer(JOB, '127.0.0.1');
    expect(await zk.getDirectly(`/${JOB}/servers/127.0.0.1`)).toBe('DISABLED');
    await waitFor(
      'leadership given up',
      async () => (await zk.getDirectly(`/${JOB}/leader/election/instance`)) === b,
      5_000,
    );
    await sleep(3_000);
    const lateA = cluster.records.filter((r) => r.instance === a && r.fireTime > disabledAt + 2_000);
    expect(lateA).toEqual([]);
    expect((await appA.operator.getShardingInfo(JOB)).map((info) => info.instanceId)).toEqual(Array(6).fill(b));
    expect(appA.operator.getInstances(JOB)).toContainEqual({
      instanceId: a,
      serverIp: '127.0.0.1',
      leader: false,
      serverEnabled: false,
      items: [],
    });

    await appA.operator.enableServer(JOB, '127.0.0.1');
    await waitFor(
      'a runs items again',
      () => cluster.records.some((r) => r.instance === a && r.fireTime > Date.now() - 1_500),
      5_000,
    );
    const [first, last] = cluster.settledRange();
    expect(exactlyOnceProblems(cluster.records, first, last, () => 6)).toEqual([]);
  });

  it('updateJobConfiguration applies a new cron and item parameters on every instance, and refuses invalid changes', async () => {
    const namespace = uniqueNamespace('update');
    const cluster = new Cluster(namespace, { cron: '0 0 3 * * ?', shardingItemParameters: '0=a' });
    const first = await cluster.start('u1@-@1');
    await cluster.start('u2@-@2');
    await expect(first.operator.updateJobConfiguration(JOB, { cron: 'not a cron' })).rejects.toThrow(
      /cron "not a cron" is invalid/,
    );
    await expect(first.operator.updateJobConfiguration(JOB, { shardingTotalCount: 0 })).rejects.toThrow(
      /shardingTotalCount 0 is invalid/,
    );
    await expect(first.operator.updateJobConfiguration(JOB, { name: 'x' } as never)).rejects.toThrow(
      /Unknown option "name" in the configuration changes of job "cluster-job"\. The options are cron, /,
    );
    const zk = await registries.open({ namespace });
    expect(await zk.getDirectly(`/${JOB}/config`)).toContain('cron: 0 0 3 * * ?');

    await first.operator.updateJobConfiguration(JOB, {
      cron: '* * * * * ?',
      shardingItemParameters: { 0: 'x', 5: 'y' },
    });
    await waitFor('fires on the new cron', () => cluster.records.length >= 12, 6_000);
    const other = cluster.apps.get('u2@-@2')!;
    expect(other.operator.getJobConfiguration(JOB)).toMatchObject({
      cron: '* * * * * ?',
      shardingItemParameters: '0=x,5=y',
    });
    expect(new Set(cluster.records.map((r) => r.instance))).toEqual(new Set(['u1@-@1', 'u2@-@2']));
  });
});

describe('sharding strategies and static sharding', () => {
  it('a custom strategy provider decides the assignment', async () => {
    const namespace = uniqueNamespace('custom-strategy');
    @Injectable()
    class FirstTakesAll implements JobShardingStrategy {
      sharding(instances: readonly string[], _jobName: string, count: number) {
        const result = new Map<string, number[]>(instances.map((id) => [id, []]));
        result.set(
          [...instances].sort()[0]!,
          Array.from({ length: count }, (_, i) => i),
        );
        return result;
      }
    }
    // Without the provider registered, app.init() says what to do.
    const Orphan = jobClass(
      { name: JOB, cron: '* * * * * ?', shardingTotalCount: 4, jobShardingStrategyType: FirstTakesAll },
      () => undefined,
    );
    const orphan = await apps.create(namespace, [Orphan], {}, false);
    await expect(orphan.app.init()).rejects.toThrow(
      'Job "cluster-job": jobShardingStrategyType FirstTakesAll is not a provider that can be resolved. Add it to the providers of a module.',
    );
    const records: FireRecord[] = [];
    for (const id of ['b@-@2', 'a@-@1']) {
      const Job = jobClass(
        { name: JOB, cron: '* * * * * ?', shardingTotalCount: 4, jobShardingStrategyType: FirstTakesAll },
        (ctx) => {
          records.push({ fireTime: ctx.fireTime.getTime(), item: ctx.shardingItem, instance: id });
        },
      );
      await apps.create(namespace, [Job, FirstTakesAll], { instanceId: id });
    }
    const zk = await registries.open({ namespace });
    await waitFor(
      'a owns everything',
      async () => {
        for (let item = 0; item < 4; item += 1)
          if ((await zk.getDirectly(`/${JOB}/sharding/${item}/instance`)) !== 'a@-@1') return false;
        return true;
      },
      10_000,
    );
    // A custom strategy is not an ElasticJob type: nothing a Java instance could not load is written.
    expect(await zk.getDirectly(`/${JOB}/config`)).not.toContain('jobShardingStrategyType');
  });

  it("SINGLE_SHARDING_BALANCE with one item: fire after fire it runs on the next server's instance, once a fire", async () => {
    const namespace = uniqueNamespace('rotate');
    const cluster = new Cluster(namespace, {
      shardingTotalCount: 1,
      jobShardingStrategyType: 'SINGLE_SHARDING_BALANCE',
    });
    const ids = ['10.1.0.1@-@r1', '10.1.0.2@-@r2', '10.1.0.3@-@r3'];
    for (const [index, id] of ids.entries()) await cluster.start(id, `10.1.0.${index + 1}`);
    const zk = await registries.open({ namespace });
    // The assignment with all three in its rotation, and the fire it applies from.
    const from = await waitFor('a plan with all three in turn', async () => {
      const plan = parsePlan((await zk.getDirectly(`/${JOB}/leader/sharding/plan`)) ?? undefined);
      const latest = plan?.entries.at(-1);
      return latest?.rotation?.length === 3 ? latest.from : undefined;
    });
    await waitFor('seven fires from it', () => cluster.records.some((r) => r.fireTime >= from + 7_000), 30_000);
    const fires = Array.from({ length: 6 }, (_, n) => from + n * 1_000);
    const runners = fires.map((fire) => {
      const runs = cluster.records.filter((r) => r.fireTime === fire);
      expect(runs, `fire ${fire}`).toHaveLength(1);
      return runs[0]!.instance;
    });
    // A cycle over the three servers, in the same order both times round.
    expect(new Set(runners.slice(0, 3)).size).toBe(3);
    expect(runners.slice(3)).toEqual(runners.slice(0, 3));
  });

  it('staticSharding keeps the assignment when instances come and go; a count change still reshards', async () => {
    const namespace = uniqueNamespace('static');
    const cluster = new Cluster(namespace, { staticSharding: true });
    const zk = await registries.open({ namespace });
    const owners = async (count: number) => {
      const result: Array<string | null> = [];
      for (let item = 0; item < count; item += 1)
        result.push(await zk.getDirectly(`/${JOB}/sharding/${item}/instance`));
      return result;
    };
    const first = await cluster.start('s1@-@1');
    await waitFor('assigned', async () => (await owners(6)).every((owner) => owner === 's1@-@1'), 5_000);
    await cluster.start('s2@-@2');
    await sleep(1_500);
    expect(await owners(6)).toEqual(Array(6).fill('s1@-@1'));
    await first.operator.updateJobConfiguration(JOB, { shardingTotalCount: 4 });
    await waitFor(
      'resharded for the new count',
      async () => (await zk.getChildrenKeys(`/${JOB}/sharding`)).length === 4,
      5_000,
    );
    expect(new Set(await owners(4))).toEqual(new Set(['s1@-@1', 's2@-@2']));
  });

  it('reconcile reshards when the assignment names an instance that is gone', async () => {
    const namespace = uniqueNamespace('reconcile');
    const cluster = new Cluster(namespace);
    const app = await cluster.start('r1@-@1');
    const zk = await registries.open({ namespace });
    await waitFor('assigned', async () => (await zk.getDirectly(`/${JOB}/sharding/0/instance`)) === 'r1@-@1', 5_000);
    const coordinator = app.app.get(ElasticJobOrchestrator).job(JOB).coordinator;
    expect(await coordinator.reconcile()).toBe(false);
    await zk.persist(`/${JOB}/sharding/0/instance`, 'ghost@-@9');
    await coordinator.cache.sync();
    expect(await coordinator.reconcile()).toBe(true);
    await waitFor('repaired', async () => (await zk.getDirectly(`/${JOB}/sharding/0/instance`)) === 'r1@-@1', 5_000);
  });
});
