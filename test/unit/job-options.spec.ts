import { describe, expect, it } from 'vitest';
import { resolveJobDefinitions } from '../../lib/config/job-definitions.js';
import { applyConfigurationChanges, resolveJobOptions } from '../../lib/config/job-options.validator.js';
import { InvalidJobOptionsError } from '../../lib/errors/invalid-job-options.error.js';
import { JobConflictError } from '../../lib/errors/job-conflict.error.js';
import { resolveModuleOptions } from '../../lib/config/module-options.js';
import { resolveZookeeperConfiguration } from '../../lib/config/zookeeper-options.js';
import { InvalidModuleOptionsError } from '../../lib/errors/invalid-module-options.error.js';
import { resolveErrorHandler } from '../../lib/execution/error-handlers.js';
import type { ElasticJobOptions } from '../../lib/interfaces/elastic-job-options.interface.js';
import { closestName } from '../../lib/utils/closest-name.js';
import { RecordingLogger } from '../support/registry.js';

const valid: ElasticJobOptions = { name: 'orders', cron: '0/5 * * * * ?', shardingTotalCount: 3 };

describe('@ElasticJob() options', () => {
  it('applies ElasticJob 3.x builder defaults', () => {
    const { config, local, problems } = resolveJobOptions(valid, false);
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      jobName: 'orders',
      shardingItemParameters: '',
      jobParameter: '',
      monitorExecution: true,
      failover: false,
      misfire: true,
      maxTimeDiffSeconds: -1,
      reconcileIntervalMinutes: 10,
      overwrite: false,
    });
    expect(local).toEqual({});
  });

  it('takes the module’s overwrite as the default', () => {
    expect(resolveJobOptions(valid, true).config.overwrite).toBe(true);
    expect(resolveJobOptions({ ...valid, overwrite: false }, true).config.overwrite).toBe(false);
  });

  it('writes item parameters given as a record as ElasticJob’s string', () => {
    const { config, problems } = resolveJobOptions({ ...valid, shardingItemParameters: { 0: 'A', 2: 'C' } }, false);
    expect(problems).toEqual([]);
    expect(config.shardingItemParameters).toBe('0=A,2=C');
  });

  it.each<[string, Partial<ElasticJobOptions>, RegExp]>([
    ['a record parameter with ","', { shardingItemParameters: { 0: 'a,b' } }, /shardingItemParameters .* is invalid/],
    ['a parameter of an item outside the count', { shardingItemParameters: '0=A,3=D' }, /item 3 is outside/],
    ['a cron of five fields', { cron: '* * * * *' }, /cron "\* \* \* \* \*" is invalid; allowed: a Quartz cron/],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, /timeZone "Mars\/Olympus" is invalid/],
    ['a count of zero', { shardingTotalCount: 0 }, /shardingTotalCount 0 is invalid/],
    ['failover without monitorExecution', { failover: true, monitorExecution: false }, /failover only with/],
    ['maxTimeDiffSeconds below -1', { maxTimeDiffSeconds: -2 }, /maxTimeDiffSeconds -2 is invalid/],
    ['a non-string jobParameter', { jobParameter: 5 as never }, /jobParameter 5 is invalid; allowed: a string/],
    ['a props value that is not a string', { props: { a: 1 } as never }, /props .* is invalid/],
    ['an empty jobClassName', { jobClassName: ' ' }, /jobClassName " " is invalid/],
    ['maxConcurrentItems of zero', { maxConcurrentItems: 0 }, /maxConcurrentItems 0 is invalid/],
    [
      'an unknown option',
      { shardingItemParameter: '0=A' } as never,
      /Unknown option "shardingItemParameter" in @ElasticJob\(\) of job "orders": did you mean "shardingItemParameters"\? The options are name, cron,/,
    ],
  ])('refuses %s, naming the field and what is allowed', (_what, change, message) => {
    const { problems } = resolveJobOptions({ ...valid, ...change }, false);
    expect(problems.join('\n')).toMatch(message);
  });

  it('names an unknown option that is close to nothing without a guess', () => {
    const { problems } = resolveJobOptions({ ...valid, colour: 'blue' } as never, false);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Unknown option "colour" in @ElasticJob\(\) of job "orders"\. The options are/);
  });

  it('keeps provider classes for strategy and error handler local (never written)', () => {
    class Strategy {
      sharding() {
        return new Map();
      }
    }
    const { config, local, problems } = resolveJobOptions({ ...valid, jobShardingStrategyType: Strategy }, false);
    expect(problems).toEqual([]);
    expect(config.jobShardingStrategyType).toBeUndefined();
    expect(local.shardingStrategy).toBe(Strategy);
  });
});

describe('the definitions discovery finds', () => {
  const definition = (options: ElasticJobOptions, className = 'Jobs', methodName = 'run') => ({
    options,
    instance: {},
    className,
    methodName,
  });

  it('names the job root after the method unless jobClassName says otherwise', () => {
    const [plain, named] = resolveJobDefinitions(
      [definition(valid), definition({ ...valid, name: 'java', jobClassName: 'com.acme.OrderJob' }, 'Jobs', 'java')],
      false,
    );
    expect(plain!.jobClassName).toBe('Jobs.run');
    expect(named!.jobClassName).toBe('com.acme.OrderJob');
  });

  it('refuses a job name used twice, naming both methods', () => {
    expect(() => resolveJobDefinitions([definition(valid, 'A'), definition(valid, 'B')], false)).toThrow(
      JobConflictError,
    );
    expect(() => resolveJobDefinitions([definition(valid, 'A'), definition(valid, 'B')], false)).toThrow(
      /Job name "orders" is used by both A.run and B.run/,
    );
  });

  it('lists every problem of every job in one error', () => {
    let error: unknown;
    try {
      resolveJobDefinitions(
        [definition({ ...valid, cron: 'x' }), definition({ ...valid, name: 'other', shardingTotalCount: 0 })],
        false,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidJobOptionsError);
    expect((error as Error).message).toMatch(
      /Job "orders": cron "x" is invalid[\s\S]*Job "other": shardingTotalCount 0/,
    );
  });
});

describe('configuration changes', () => {
  const current = resolveJobOptions(valid, false).config;

  it('applies what is given and keeps the rest', () => {
    const { config, problems } = applyConfigurationChanges(current, {
      cron: '0/10 * * * * ?',
      shardingItemParameters: { 1: 'B' },
    });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ cron: '0/10 * * * * ?', shardingItemParameters: '1=B', shardingTotalCount: 3 });
  });

  it('checks the result as @ElasticJob() options are checked, with the same rules', () => {
    expect(applyConfigurationChanges(current, { failover: true, monitorExecution: false }).problems.join()).toMatch(
      /failover only with monitorExecution: true/,
    );
    expect(applyConfigurationChanges(current, { shardingItemParameters: { 0: 'a=b' } }).problems.join()).toMatch(
      /shardingItemParameters .* is invalid/,
    );
    expect(applyConfigurationChanges(current, { shardingTotalCount: 1 }).problems).toEqual([]);
    expect(
      applyConfigurationChanges(
        { ...current, shardingItemParameters: '2=C' },
        { shardingTotalCount: 2 },
      ).problems.join(),
    ).toMatch(/item 2 is outside/);
  });

  it('refuses what cannot be changed at run time, with the closest field', () => {
    expect(applyConfigurationChanges(current, { disabled: true } as never).problems.join()).toMatch(
      /Unknown option "disabled" in the configuration changes of job "orders"/,
    );
    expect(applyConfigurationChanges(current, { crons: '* * * * * ?' } as never).problems.join()).toMatch(
      /did you mean "cron"\?/,
    );
  });
});

describe('module and ZooKeeper options', () => {
  const zookeeper = { serverLists: '127.0.0.1:2181', namespace: 'app' };

  it('applies the defaults', () => {
    expect(resolveZookeeperConfiguration(zookeeper)).toEqual({
      ...zookeeper,
      sessionTimeoutMs: 30_000,
      connectionTimeoutMs: 15_000,
      digest: undefined,
    });
    const resolved = resolveModuleOptions({ zookeeper, serverIp: '10.0.0.1' });
    expect(resolved).toMatchObject({ serverIp: '10.0.0.1', enabled: true, runJobs: true, shutdownTimeoutMs: 10_000 });
  });

  it('names every wrong ZooKeeper field at once, and never shows the digest', () => {
    const error = (() => {
      try {
        resolveZookeeperConfiguration({ serverLists: 'nowhere', namespace: 'a/b', sessionTimeoutMs: 0, digest: 'x' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(InvalidModuleOptionsError);
    const lines = error!.message.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/zookeeper.serverLists "nowhere"/);
    expect(lines[1]).toMatch(/zookeeper.namespace "a\/b"/);
    expect(lines[2]).toMatch(/zookeeper.sessionTimeoutMs 0/);
    expect(lines[3]).toBe('Invalid zookeeper.digest "***": the form "user:password".');
  });

  it('refuses unknown keys with the closest known one', () => {
    expect(() => resolveZookeeperConfiguration({ ...zookeeper, sessionTimeoutMS: 4_000 } as never)).toThrow(
      /Unknown option "sessionTimeoutMS" in the zookeeper options: did you mean "sessionTimeoutMs"\?/,
    );
    expect(() => resolveModuleOptions({ zookeeper, runjobs: false } as never)).toThrow(
      /Unknown option "runjobs" in the ElasticJobModule options: did you mean "runJobs"\?/,
    );
    // forRoot's own extra may reach the options.
    expect(() => resolveModuleOptions({ zookeeper, isGlobal: true } as never)).not.toThrow();
  });

  it('guesses only names that are close', () => {
    expect(closestName('shardingTotalcount', ['shardingTotalCount', 'cron'])).toBe('shardingTotalCount');
    expect(closestName('namespce', ['namespace', 'serverLists'])).toBe('namespace');
    expect(closestName('colour', ['namespace', 'serverLists'])).toBeUndefined();
  });
});

describe('error handlers', () => {
  const context = {
    jobName: 'orders',
    taskId: 't',
    shardingTotalCount: 1,
    jobParameter: '',
    shardingItem: 0,
    shardingParameter: undefined,
    executionSource: 'NORMAL_TRIGGER' as const,
    fireTime: new Date(0),
    signal: new AbortController().signal,
  };

  it('LOG logs the failure with the item and source; THROW also makes awaited runs reject; IGNORE says nothing', async () => {
    const logger = new RecordingLogger();
    const log = resolveErrorHandler(undefined, undefined, logger);
    await log.handle('orders', new Error('boom'), context);
    expect(log.rethrow).toBe(false);
    expect(logger.lines).toEqual([{ level: 'error', message: 'Job "orders" item 0 (NORMAL_TRIGGER) failed: boom' }]);
    expect(resolveErrorHandler('THROW', undefined, logger).rethrow).toBe(true);
    const quiet = new RecordingLogger();
    await resolveErrorHandler('IGNORE', undefined, quiet).handle('orders', new Error('boom'), context);
    expect(quiet.lines).toEqual([]);
  });

  it('a custom handler that throws is logged, and the failure is logged as LOG would', async () => {
    const logger = new RecordingLogger();
    const handler = resolveErrorHandler(
      undefined,
      {
        handleException: () => {
          throw new Error('handler broke');
        },
      },
      logger,
    );
    await handler.handle('orders', new Error('boom'), context);
    expect(logger.lines.map((line) => line.message)).toEqual([
      'The error handler of job "orders" threw: Error: handler broke',
      'Job "orders" item 0 (NORMAL_TRIGGER) failed: boom',
    ]);
  });
});
