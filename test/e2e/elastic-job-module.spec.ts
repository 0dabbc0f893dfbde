import { execFileSync } from 'node:child_process';
import { Injectable } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { useZooKeeperServer } from '../support/suite.js';
import { ELASTIC_JOB_REGISTRY_CENTER } from '../../lib/elastic-job.constants.js';
import { JobExecutionError } from '../../lib/errors/index.js';
import type { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import type { JobErrorHandler } from '../../lib/interfaces/job-error-handler.interface.js';
import type { ShardingContext } from '../../lib/interfaces/sharding-context.interface.js';
import { ExecutionLog, jobClass } from '../support/nest-apps.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

const zookeeper = useZooKeeperServer();
const { apps, registries } = zookeeper;

/** ZooKeeper's own command-line client reading a node. */
function zkCliGet(path: string): string {
  const output = execFileSync(
    '/usr/share/zookeeper/bin/zkCli.sh',
    ['-server', zookeeper.server().connectString, 'get', path],
    {
      encoding: 'utf8',
      env: { ...process.env, ZOO_LOG4J_PROP: 'ERROR,CONSOLE' },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  // Everything after the connection banner ("WATCHER::" ... "WatchedEvent ...") is the node.
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith('WatchedEvent')) + 1;
  return lines.slice(start).join('\n').replace(/\n+$/, '\n');
}

describe('ElasticJobModule on one instance, against a real ZooKeeper', () => {
  it('fires on a seconds-level cron and calls the handler once per item with its ShardingContext', async () => {
    const namespace = uniqueNamespace('fire');
    const log = new ExecutionLog();
    const Job = jobClass(
      {
        name: 'order-sync',
        cron: '* * * * * ?',
        shardingTotalCount: 3,
        shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
        jobParameter: 'full',
      },
      (ctx) => log.record('a', ctx),
    );
    const { instanceId } = await apps.create(namespace, [Job]);
    await waitFor('three fires', () => new Set(log.executions.map((e) => e.fireTime)).size >= 3, 10_000);

    const byFire = new Map<number, number[]>();
    for (const e of log.executions) byFire.set(e.fireTime, [...(byFire.get(e.fireTime) ?? []), e.item]);
    const complete = [...byFire.values()].slice(0, -1);
    expect(complete.length).toBeGreaterThanOrEqual(2);
    for (const items of complete) expect(items.sort()).toEqual([0, 1, 2]);
    for (const e of log.executions) {
      expect(e.fireTime % 1_000).toBe(0);
      expect(e.source).toBe('NORMAL_TRIGGER');
      expect(e.parameter).toBe(['Beijing', 'Shanghai', 'Guangzhou'][e.item]);
      expect(e.context.jobName).toBe('order-sync');
      expect(e.context.jobParameter).toBe('full');
      expect(e.context.shardingTotalCount).toBe(3);
      expect(e.context.taskId).toBe(`order-sync@-@0,1,2@-@READY@-@${instanceId}`);
      expect(e.context.signal.aborted).toBe(false);
      expect(e.startedAt - e.fireTime).toBeGreaterThanOrEqual(0);
    }
  });

  it('registers exactly ElasticJob 3.x nodes; the config node read with zkCli.sh is ElasticJob YAML', async () => {
    const namespace = uniqueNamespace('nodes');
    const Job = jobClass(
      {
        name: 'order-sync',
        cron: '0/5 * * * * ?',
        shardingTotalCount: 3,
        shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
        failover: true,
      },
      () => undefined,
      'OrderSyncJob',
    );
    const { instanceId } = await apps.create(namespace, [Job]);
    const zk = await registries.open({ namespace });
    await waitFor('sharding', async () => (await zk.getDirectly('/order-sync/sharding/2/instance')) === instanceId);

    // ElasticJob's YAML for JobConfiguration.newBuilder("order-sync", 3).cron("0/5 * * * * ?")
    //   .shardingItemParameters("0=Beijing,1=Shanghai,2=Guangzhou").failover(true).build()
    expect(zkCliGet(`/${namespace}/order-sync/config`)).toBe(
      [
        'cron: 0/5 * * * * ?',
        "description: ''",
        'disabled: false',
        'failover: true',
        'jobName: order-sync',
        "jobParameter: ''",
        'maxTimeDiffSeconds: -1',
        'misfire: true',
        'monitorExecution: true',
        'overwrite: false',
        'reconcileIntervalMinutes: 10',
        'shardingItemParameters: 0=Beijing,1=Shanghai,2=Guangzhou',
        'shardingTotalCount: 3',
        'staticSharding: false',
        '',
      ].join('\n'),
    );
    expect(await zk.getDirectly('/order-sync')).toBe('OrderSyncJob.run');
    expect(await zk.getDirectly('/order-sync/servers/127.0.0.1')).toBe('ENABLED');
    expect(await zk.getDirectly(`/order-sync/instances/${instanceId}`)).toBe(
      `jobInstanceId: ${instanceId}\nserverIp: 127.0.0.1\n`,
    );
    expect((await zk.getStat(`/order-sync/instances/${instanceId}`))!.ephemeralOwner).not.toBe('0');
    expect(await zk.getDirectly('/order-sync/leader/election/instance')).toBe(instanceId);
    expect((await zk.getStat('/order-sync/leader/election/instance'))!.ephemeralOwner).not.toBe('0');
    expect(await zk.isExisted('/order-sync/leader/sharding/necessary')).toBe(false);
    expect(await zk.getChildrenKeys('/order-sync/leader/election/latch')).toEqual([]);
    expect(await zk.getChildrenKeys('/order-sync/sharding')).toEqual(['2', '1', '0']);
  });

  it('trigger runs it once more at once (MANUAL), and the run can be awaited per item', async () => {
    const namespace = uniqueNamespace('trigger');
    const log = new ExecutionLog();
    const Job = jobClass({ name: 'nightly', cron: '0 0 3 * * ?', shardingTotalCount: 2 }, (ctx) => {
      log.record('a', ctx);
      return `done ${ctx.shardingItem}`;
    });
    const { operator } = await apps.create(namespace, [Job]);
    expect(operator.getJobNames()).toEqual(['nightly']);
    const run = await operator.triggerAndWait('nightly', { timeoutMs: 10_000 });
    expect(run.executionSource).toBe('MANUAL');
    expect(run.items.map((i) => [i.item, i.status, i.result])).toEqual([
      [0, 'SUCCEEDED', 'done 0'],
      [1, 'SUCCEEDED', 'done 1'],
    ]);
    expect(log.executions.map((e) => e.source)).toEqual(['MANUAL', 'MANUAL']);
    const zk = await registries.open({ namespace });
    // The trigger node is consumed.
    expect(await zk.getChildrenKeys('/nightly/trigger')).toEqual([]);
  });

  it('an awaited run is over when it resolves: the next trigger finds every item free', async () => {
    const namespace = uniqueNamespace('back-to-back');
    const Job = jobClass({ name: 'quick', cron: '0 0 3 * * ?', shardingTotalCount: 4 }, (ctx) => ctx.shardingItem);
    const { app, operator } = await apps.create(namespace, [Job], {}, false);
    // Slow clean-up: deleting a running node takes 300 ms.
    const registry = app.get(ELASTIC_JOB_REGISTRY_CENTER) as ZookeeperRegistryCenter;
    const remove = registry.remove.bind(registry);
    registry.remove = async (...args: Parameters<typeof remove>) => {
      if (args[0].endsWith('/running')) await sleep(300);
      return remove(...args);
    };
    await app.init();
    for (let round = 0; round < 3; round += 1) {
      const run = await operator.triggerAndWait('quick', { timeoutMs: 10_000 });
      expect(
        run.items.map((item) => item.item),
        `round ${round}`,
      ).toEqual([0, 1, 2, 3]);
    }
  });

  it('a trigger that arrives while the job runs is queued, not dropped', async () => {
    const namespace = uniqueNamespace('queued');
    const log = new ExecutionLog();
    const Job = jobClass({ name: 'slow', cron: '0 0 3 * * ?', shardingTotalCount: 1 }, async (ctx) => {
      log.record('a', ctx);
      await sleep(800);
    });
    const { operator } = await apps.create(namespace, [Job]);
    const first = operator.triggerAndWait('slow');
    await waitFor('first run started', () => log.executions.length === 1);
    await operator.trigger('slow');
    await first;
    await waitFor('queued run', () => log.executions.length === 2, 5_000);
    expect(log.executions.map((e) => e.source)).toEqual(['MANUAL', 'MANUAL']);
    // Never two at once: the second started after the first ended.
    expect(log.executions[1]!.startedAt - log.executions[0]!.startedAt).toBeGreaterThanOrEqual(790);
  });

  it('operator writes are in this instance’s view when they resolve, and an awaited trigger covers every item, queued ones included', async () => {
    const namespace = uniqueNamespace('own-writes');
    // Items of 300 ms every second: many triggers land while some items still run.
    const Job = jobClass({ name: 'busy', cron: '* * * * * ?', shardingTotalCount: 4 }, async () => {
      await sleep(300);
    });
    const { operator } = await apps.create(namespace, [Job]);
    for (let round = 0; round < 8; round += 1) {
      await operator.disableItem('busy', 2);
      expect((await operator.getShardingInfo('busy'))[2]!.status, `round ${round}`).toBe('DISABLED');
      const without = await operator.triggerAndWait('busy', { timeoutMs: 10_000 });
      await operator.enableItem('busy', 2);
      expect((await operator.getShardingInfo('busy'))[2]!.status, `round ${round}`).not.toBe('DISABLED');
      const withIt = await operator.triggerAndWait('busy', { timeoutMs: 10_000 });
      expect(
        without.items.map((item) => item.item),
        `round ${round}`,
      ).toEqual([0, 1, 3]);
      expect(
        withIt.items.map((item) => item.item),
        `round ${round}`,
      ).toEqual([0, 1, 2, 3]);
      expect(withIt.items.every((item) => item.status === 'SUCCEEDED')).toBe(true);
    }
  });

  it('a throwing handler is logged with its job and item, and the job fires again next time', async () => {
    const namespace = uniqueNamespace('throws');
    let calls = 0;
    const Job = jobClass({ name: 'flaky', cron: '* * * * * ?', shardingTotalCount: 1 }, async () => {
      calls += 1;
      throw new Error(`boom ${calls}`);
    });
    const { logger } = await apps.create(namespace, [Job]);
    await waitFor('three failing fires', () => calls >= 3, 10_000);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors.some((l) => l.message.includes('Job "flaky" item 0 (NORMAL_TRIGGER) failed: boom 1'))).toBe(true);
    expect(errors.some((l) => l.message.includes('boom 2'))).toBe(true);
  });

  it('error handlers: THROW rejects the awaited run, IGNORE logs nothing, a custom provider receives the error', async () => {
    const namespace = uniqueNamespace('handlers');
    const received: Array<{ job: string; message: string; item?: number }> = [];
    @Injectable()
    class Collector implements JobErrorHandler {
      handleException(jobName: string, error: unknown, context?: ShardingContext) {
        received.push({ job: jobName, message: (error as Error).message, item: context?.shardingItem });
      }
    }
    const fail = () => {
      throw new Error('nope');
    };
    const Thrower = jobClass(
      { name: 'thrower', cron: '0 0 3 * * ?', shardingTotalCount: 2, jobErrorHandlerType: 'THROW' },
      fail,
      'Thrower',
    );
    const Ignorer = jobClass(
      { name: 'ignorer', cron: '0 0 3 * * ?', shardingTotalCount: 1, jobErrorHandlerType: 'IGNORE' },
      fail,
      'Ignorer',
    );
    const Custom = jobClass(
      { name: 'custom', cron: '0 0 3 * * ?', shardingTotalCount: 1, jobErrorHandlerType: Collector },
      fail,
      'Custom',
    );
    const { operator, logger } = await apps.create(namespace, [Thrower, Ignorer, Custom, Collector]);

    const error = await operator.triggerAndWait('thrower').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toMatch(/Job "thrower" failed on item\(s\) 0, 1/);

    const ignored = await operator.triggerAndWait('ignorer');
    expect(ignored.items[0]!.status).toBe('FAILED');
    expect(logger.lines.some((l) => l.message.includes('"ignorer"') && l.level === 'error')).toBe(false);

    await operator.triggerAndWait('custom');
    expect(received).toEqual([{ job: 'custom', message: 'nope', item: 0 }]);
    // The custom handler is not an ElasticJob type: nothing a Java instance could not load is written.
    const zk = await registries.open({ namespace });
    expect(await zk.getDirectly('/custom/config')).not.toContain('jobErrorHandlerType');
    expect(await zk.getDirectly('/thrower/config')).toContain('jobErrorHandlerType: THROW');
  });

  it('executionTimeoutMs aborts the item signal and counts it failed (TIMED_OUT)', async () => {
    const namespace = uniqueNamespace('timeout');
    let aborted: unknown;
    const Job = jobClass(
      { name: 'hangs', cron: '0 0 3 * * ?', shardingTotalCount: 1, executionTimeoutMs: 300 },
      (ctx) => {
        return new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            resolve();
          });
        });
      },
    );
    const { operator, logger } = await apps.create(namespace, [Job]);
    const run = await operator.triggerAndWait('hangs');
    expect(run.items[0]!.status).toBe('TIMED_OUT');
    expect(run.items[0]!.durationMs).toBeGreaterThanOrEqual(290);
    expect((aborted as Error).message).toMatch(/exceeded its execution timeout of 300 ms/);
    expect(logger.lines.some((l) => l.level === 'error' && l.message.includes('execution timeout'))).toBe(true);
  });

  it('a fire that finds an item still running sets misfire; the item runs once more right after', async () => {
    const namespace = uniqueNamespace('misfire');
    const log = new ExecutionLog();
    let firstRun = true;
    const Job = jobClass({ name: 'overrun', cron: '* * * * * ?', shardingTotalCount: 1 }, async (ctx) => {
      log.record('a', ctx);
      if (firstRun) {
        firstRun = false;
        await sleep(2_600);
      }
    });
    const { app } = await apps.create(namespace, [Job]);
    const zk = await registries.open({ namespace });
    await waitFor('misfire node', () => zk.isExisted('/overrun/sharding/0/misfire'), 5_000);
    await waitFor('misfire run', () => log.executions.some((e) => e.source === 'MISFIRE'), 5_000);
    await app.close();
    const sources = log.executions.map((e) => e.source);
    // Two or three overlapped fires collapse into one MISFIRE run right after the long one.
    expect(sources[0]).toBe('NORMAL_TRIGGER');
    expect(sources[1]).toBe('MISFIRE');
    expect(sources.filter((s) => s === 'MISFIRE')).toHaveLength(1);
    expect(log.executions[1]!.startedAt - log.executions[0]!.startedAt).toBeGreaterThanOrEqual(2_550);
    expect(await zk.isExisted('/overrun/sharding/0/misfire')).toBe(false);
  });

  it('monitorExecution writes running nodes while items run: ephemeral, or persistent with failover', async () => {
    const namespace = uniqueNamespace('running');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const Plain = jobClass({ name: 'plain', cron: '0 0 3 * * ?', shardingTotalCount: 1 }, () => gate, 'Plain');
    const WithFailover = jobClass(
      { name: 'guarded', cron: '0 0 3 * * ?', shardingTotalCount: 1, failover: true },
      () => gate,
      'Guarded',
    );
    const Unmonitored = jobClass(
      { name: 'quiet', cron: '0 0 3 * * ?', shardingTotalCount: 1, monitorExecution: false },
      () => gate,
      'Quiet',
    );
    const { operator, instanceId } = await apps.create(namespace, [Plain, WithFailover, Unmonitored]);
    const runs = ['plain', 'guarded', 'quiet'].map((job) => operator.triggerAndWait(job));
    const zk = await registries.open({ namespace });
    await waitFor(
      'running nodes',
      async () => (await zk.isExisted('/plain/sharding/0/running')) && zk.isExisted('/guarded/sharding/0/running'),
    );
    expect(await zk.getDirectly('/plain/sharding/0/running')).toBe(instanceId);
    expect((await zk.getStat('/plain/sharding/0/running'))!.ephemeralOwner).not.toBe('0');
    expect(await zk.getDirectly('/guarded/sharding/0/running')).toBe(instanceId);
    expect((await zk.getStat('/guarded/sharding/0/running'))!.ephemeralOwner).toBe('0');
    expect(await zk.isExisted('/quiet/sharding/0/running')).toBe(false);
    release();
    await Promise.all(runs);
    await waitFor(
      'running nodes removed',
      async () =>
        !(await zk.isExisted('/plain/sharding/0/running')) && !(await zk.isExisted('/guarded/sharding/0/running')),
    );
  });

  it('maxTimeDiffSeconds: a clock skewed against ZooKeeper goes to the error handler with a clear message', async () => {
    const namespace = uniqueNamespace('clock');
    const ran: string[] = [];
    const Checked = jobClass(
      { name: 'checked', cron: '0 0 3 * * ?', shardingTotalCount: 1, maxTimeDiffSeconds: 5 },
      () => void ran.push('checked'),
      'Checked',
    );
    const Unchecked = jobClass(
      { name: 'unchecked', cron: '0 0 3 * * ?', shardingTotalCount: 1 },
      () => void ran.push('unchecked'),
      'Unchecked',
    );
    const { operator, logger } = await apps.create(namespace, [Checked, Unchecked]);
    await operator.triggerAndWait('checked');
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    // This host's clock one minute ahead of ZooKeeper's (only Date is faked; timers are real).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.now() + 60_000));
    try {
      await operator.triggerAndWait('checked');
      await operator.triggerAndWait('unchecked');
    } finally {
      vi.useRealTimers();
    }
    const errors = logger.lines.filter((l) => l.level === 'error').map((l) => l.message);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /Job "checked": the clocks of this host and ZooKeeper differ by -(59|60)\d{3} ms, more than maxTimeDiffSeconds \(5 s\)\. Synchronise this host's clock/,
    );
    // LOG lets the run go on, as ElasticJob does.
    expect(ran).toEqual(['checked', 'checked', 'unchecked']);
    const zk = await registries.open({ namespace });
    expect(await zk.isExisted('/checked/systemTime/current')).toBe(true);
    expect(await zk.isExisted('/unchecked/systemTime/current')).toBe(false);
  });

  it('a config node edited by hand into invalid YAML is reported, the last good configuration keeps running, a fix applies', async () => {
    const namespace = uniqueNamespace('bad-yaml');
    const log = new ExecutionLog();
    const Job = jobClass({ name: 'edited', cron: '* * * * * ?', shardingTotalCount: 2 }, (ctx) => log.record('a', ctx));
    const { operator, logger } = await apps.create(namespace, [Job]);
    const zk = await registries.open({ namespace });
    const good = (await zk.getDirectly('/edited/config'))!;
    await zk.update('/edited/config', 'cron: [0/5 * * *\nshardingTotalCount: zero\n');
    await waitFor(
      'the error reported',
      () => logger.lines.some((l) => l.level === 'error' && l.message.includes('/edited/config')),
      5_000,
    );
    const error = logger.lines.find((l) => l.level === 'error' && l.message.includes('/edited/config'))!.message;
    expect(error).toMatch(
      new RegExp(`The configuration of job "edited" in ZooKeeper \\(${namespace}/edited/config\\) is invalid`),
    );
    expect(error).toContain('The last valid configuration keeps running.');
    expect(operator.getJobConfiguration('edited')).toMatchObject({ cron: '* * * * * ?', shardingTotalCount: 2 });
    const firesBefore = log.executions.length;
    await waitFor('still firing', () => log.executions.length >= firesBefore + 4, 5_000);

    await zk.update(
      '/edited/config',
      good.replace("cron: '* * * * * ?'", 'cron: 0 0 3 * * ?').replace('cron: * * * * * ?', 'cron: 0 0 3 * * ?'),
    );
    await waitFor('the fix applied', () => operator.getJobConfiguration('edited').cron === '0 0 3 * * ?', 5_000);
    const after = log.executions.length;
    await sleep(2_200);
    expect(log.executions.length).toBe(after);
  });

  it('runs items in parallel, bounded by maxConcurrentItems', async () => {
    const namespace = uniqueNamespace('parallel');
    let active = 0;
    let peak = 0;
    const handler = async () => {
      active += 1;
      peak = Math.max(peak, active);
      await sleep(150);
      active -= 1;
    };
    const Unbounded = jobClass({ name: 'wide', cron: '0 0 3 * * ?', shardingTotalCount: 6 }, handler, 'Wide');
    const Bounded = jobClass(
      { name: 'narrow', cron: '0 0 3 * * ?', shardingTotalCount: 6, maxConcurrentItems: 2 },
      handler,
      'Narrow',
    );
    const { operator } = await apps.create(namespace, [Unbounded, Bounded]);
    await operator.triggerAndWait('wide');
    expect(peak).toBe(6);
    peak = 0;
    const run = await operator.triggerAndWait('narrow');
    expect(peak).toBe(2);
    expect(run.items).toHaveLength(6);
  });

  it('skips disabled items without reassigning them', async () => {
    const namespace = uniqueNamespace('disabled-item');
    const log = new ExecutionLog();
    const Job = jobClass({ name: 'partial', cron: '0 0 3 * * ?', shardingTotalCount: 3 }, (ctx) =>
      log.record('a', ctx),
    );
    const { operator } = await apps.create(namespace, [Job]);
    const zk = await registries.open({ namespace });
    await zk.persist('/partial/sharding/1/disabled', '');
    await sleep(200);
    const run = await operator.triggerAndWait('partial');
    expect(run.items.map((i) => i.item)).toEqual([0, 2]);
    expect(log.executions.map((e) => e.item).sort()).toEqual([0, 2]);
  });

  it('the configuration in ZooKeeper wins unless overwrite is set, and the difference is logged', async () => {
    const namespace = uniqueNamespace('overwrite');
    const First = jobClass({ name: 'report', cron: '0 0 1 * * ?', shardingTotalCount: 2 }, () => undefined, 'Report');
    const first = await apps.create(namespace, [First]);
    await first.app.close();

    const Second = jobClass({ name: 'report', cron: '0 0 2 * * ?', shardingTotalCount: 4 }, () => undefined, 'Report');
    const second = await apps.create(namespace, [Second]);
    expect(second.operator.getJobConfiguration('report')).toMatchObject({ cron: '0 0 1 * * ?', shardingTotalCount: 2 });
    expect(
      second.logger.lines.some(
        (l) =>
          l.level === 'warn' &&
          l.message.includes('cron: "0 0 1 * * ?" (code has "0 0 2 * * ?")') &&
          l.message.includes('shardingTotalCount: 2 (code has 4)'),
      ),
    ).toBe(true);
    await second.app.close();

    const Third = jobClass(
      { name: 'report', cron: '0 0 2 * * ?', shardingTotalCount: 4, overwrite: true },
      () => undefined,
      'Report',
    );
    const third = await apps.create(namespace, [Third]);
    expect(third.operator.getJobConfiguration('report')).toMatchObject({ cron: '0 0 2 * * ?', shardingTotalCount: 4 });
    const zk = await registries.open({ namespace });
    expect(await zk.getDirectly('/report/config')).toContain('shardingTotalCount: 4');
  });

  it('app.close() drains, removes the instance node and leadership, and leaves nothing running', async () => {
    const namespace = uniqueNamespace('close');
    const Job = jobClass({ name: 'closing', cron: '* * * * * ?', shardingTotalCount: 2 }, () => undefined);
    const { app, instanceId } = await apps.create(namespace, [Job]);
    const zk = await registries.open({ namespace });
    expect(await zk.isExisted(`/closing/instances/${instanceId}`)).toBe(true);
    await app.close();
    expect(await zk.isExisted(`/closing/instances/${instanceId}`)).toBe(false);
    expect(await zk.isExisted('/closing/leader/election/instance')).toBe(false);
    // Persistent nodes stay, as in ElasticJob.
    expect(await zk.isExisted('/closing/config')).toBe(true);
    expect(await zk.getDirectly('/closing/servers/127.0.0.1')).toBe('ENABLED');
  });
});
