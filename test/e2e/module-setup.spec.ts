import { Controller, Injectable, Module, Param, Post, Scope } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ElasticJobErrorFilter } from '../../lib/elastic-job-error.filter.js';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { useZooKeeperServer } from '../support/suite.js';
import { ElasticJob } from '../../lib/decorators/elastic-job.decorator.js';
import { ElasticJobModule } from '../../lib/elastic-job.module.js';
import type { ElasticJobOptionsFactory } from '../../lib/elastic-job.module-definition.js';
import {
  InvalidJobOptionsError,
  InvalidModuleOptionsError,
  JobConflictError,
  JobNotFoundError,
  RegistryCenterUnavailableError,
} from '../../lib/errors/index.js';
import type { ElasticJobModuleOptions } from '../../lib/interfaces/elastic-job-module-options.interface.js';
import type { ElasticJobOptions } from '../../lib/interfaces/elastic-job-options.interface.js';
import { JobOperator } from '../../lib/job.operator.js';
import { jobClass } from '../support/nest-apps.js';
import { RecordingLogger } from '../support/registry.js';
import { uniqueNamespace } from '../support/wait.js';
import { freePort } from '../../lib/testing/index.js';

const zookeeper = useZooKeeperServer();
const { apps, registries } = zookeeper;

const noop = () => undefined;

/** app.init() must reject with `errorType` and a message matching `message`; nothing may be written. */
async function expectInitFailure(
  jobs: ElasticJobOptions[],
  errorType: abstract new (...args: never[]) => Error,
  message: RegExp,
) {
  const namespace = uniqueNamespace('invalid');
  const providers = jobs.map((options, index) => jobClass(options, noop, `Job${index}`));
  const { app } = await apps.create(namespace, providers, {}, false);
  const error = await app.init().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(errorType);
  expect((error as Error).message).toMatch(message);
  const zk = await registries.open({ namespace });
  expect(await zk.getChildrenKeys('/')).toEqual([]);
}

const valid: ElasticJobOptions = { name: 'valid', cron: '0/5 * * * * ?', shardingTotalCount: 2 };

describe('validation at app.init(): one clear error, nothing written to ZooKeeper', () => {
  it.each<[string, Partial<ElasticJobOptions>, RegExp]>([
    [
      'an invalid cron',
      { cron: 'every minute' },
      /Job "valid": cron "every minute" is invalid; allowed: a Quartz cron expression.*\(it has 2 fields/,
    ],
    [
      'a 5-field (Unix) cron',
      { cron: '*/5 * * * *' },
      /cron "\*\/5 \* \* \* \*" is invalid.*it has 5 fields; Quartz needs 6 or 7/,
    ],
    [
      'a cron we cannot honour (L-3)',
      { cron: '0 0 12 L-3 * ?' },
      /cron "0 0 12 L-3 \* \?" is invalid.*L has to be a value of its own/,
    ],
    [
      'both day fields set',
      { cron: '0 0 12 1 * MON' },
      /both day-of-month \("1"\) and day-of-week \("MON"\) are set; Quartz needs "\?" in one of them/,
    ],
    [
      'a cron written for @nestjs/schedule (no "?", Sunday = 0)',
      { cron: '0 0 01 * * 1-5' },
      /cron "0 0 01 \* \* 1-5" is invalid.*no "\?" in day-of-month or day-of-week.*it is "0 0 01 \? \* MON-FRI" in Quartz/,
    ],
    ['a cron that never fires again', { cron: '0 0 12 1 1 ? 2020' }, /it never fires again/],
    [
      'an unknown time zone',
      { timeZone: 'Mars/Olympus' },
      /timeZone "Mars\/Olympus" is invalid; allowed: an IANA time zone name such as "Asia\/Shanghai", or "GMT\+08:00"/,
    ],
    [
      'shardingTotalCount 0',
      { shardingTotalCount: 0 },
      /shardingTotalCount 0 is invalid; allowed: an integer of at least 1/,
    ],
    [
      'a fractional shardingTotalCount',
      { shardingTotalCount: 1.5 },
      /shardingTotalCount 1.5 is invalid; allowed: an integer of at least 1/,
    ],
    [
      'malformed shardingItemParameters',
      { shardingItemParameters: '0=A,1' },
      /shardingItemParameters "0=A,1" is invalid; allowed: pairs "item=parameter".*"1" is not of the form item=parameter/,
    ],
    ['a non-numeric item', { shardingItemParameters: 'x=A' }, /"x" in "x=A" is not an item number/],
    [
      'an item outside the count',
      { shardingItemParameters: '0=A,5=B' },
      /shardingItemParameters "0=A,5=B" is invalid; allowed: items 0 to 1 only \(item 5 is outside\)/,
    ],
    ['an empty name', { name: '' }, /Job "": name "" is invalid; allowed: a non-empty name without "\/" or "@-@"/],
    [
      // What a plain JavaScript app (no compiler) can pass: the singular of shardingItemParameters.
      'an unknown option, named with the closest known one',
      { shardingItemParameter: '0=a' } as never,
      /Unknown option "shardingItemParameter" in @ElasticJob\(\) of job "valid": did you mean "shardingItemParameters"\?/,
    ],
    ['a name with /', { name: 'a/b' }, /Job "a\/b": name "a\/b" is invalid/],
    [
      'failover without monitorExecution',
      { failover: true, monitorExecution: false },
      /failover true is invalid; allowed: failover only with monitorExecution: true/,
    ],
    [
      'an unknown strategy',
      { jobShardingStrategyType: 'RANDOM' as never },
      /jobShardingStrategyType "RANDOM" is invalid; allowed: AVG_ALLOCATION, ODEVITY, ROUND_ROBIN, SINGLE_SHARDING_BALANCE/,
    ],
    [
      'a bad executionTimeoutMs',
      { executionTimeoutMs: -5 },
      /executionTimeoutMs -5 is invalid; allowed: a positive integer number of milliseconds/,
    ],
  ])('%s', async (_what, change, message) => {
    await expectInitFailure([{ ...valid, ...change }], InvalidJobOptionsError, message);
  });

  it('lists every problem of every job in one error, and writes none of the valid jobs', async () => {
    await expectInitFailure(
      [valid, { name: 'bad', cron: 'x', shardingTotalCount: 0 }],
      InvalidJobOptionsError,
      /Job "bad": cron "x" is invalid[\s\S]*Job "bad": shardingTotalCount 0 is invalid/,
    );
  });

  it('two methods with the same job name', async () => {
    await expectInitFailure(
      [valid, { ...valid }],
      JobConflictError,
      /Job name "valid" is used by both Job0.run and Job1.run/,
    );
  });

  it('a different class claiming a registered job name is refused, and nothing is changed', async () => {
    const namespace = uniqueNamespace('conflict');
    const first = await apps.create(namespace, [jobClass(valid, noop, 'Original')]);
    await first.app.close();
    const zk = await registries.open({ namespace });
    const configBefore = await zk.getDirectly('/valid/config');
    const { app } = await apps.create(
      namespace,
      [jobClass({ ...valid, cron: '0/7 * * * * ?', overwrite: true }, noop, 'Intruder')],
      {},
      false,
    );
    const error = await app.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobConflictError);
    expect((error as Error).message).toMatch(
      /Job "valid" is registered in ZooKeeper for "Original.run", but Intruder.run claims it/,
    );
    expect(await zk.getDirectly('/valid/config')).toBe(configBefore);
    expect(await zk.getDirectly('/valid')).toBe('Original.run');
  });

  it('a Java SCRIPT or HTTP job of the same name is refused: this instance takes none of its items', async () => {
    const namespace = uniqueNamespace('typed');
    const zk = await registries.open({ namespace });
    await zk.persist('/valid', 'SCRIPT');
    await zk.persist(
      '/valid/config',
      'jobName: valid\ncron: 0 0 1 * * ?\nshardingTotalCount: 2\nprops:\n  script.command.line: /opt/report.sh\n',
    );
    await zk.persist('/valid/sharding/0/instance', '10.0.0.9@-@7');
    const { app } = await apps.create(namespace, [jobClass(valid, noop, 'Mine')], {}, false);
    const error = await app.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobConflictError);
    expect((error as Error).message).toMatch(
      /Job "valid" is a Java ElasticJob SCRIPT job in this namespace .* takes none of its items/,
    );
    expect(await zk.getChildrenKeys('/valid/instances')).toEqual([]);
    expect(await zk.getDirectly('/valid/sharding/0/instance')).toBe('10.0.0.9@-@7');
    // And no job of ours may claim to be one.
    await expectInitFailure(
      [{ ...valid, jobClassName: 'HTTP' }],
      InvalidJobOptionsError,
      /SCRIPT and HTTP are ElasticJob's typed jobs/,
    );
  });

  it('a job on a request-scoped provider is warned about and skipped', async () => {
    const namespace = uniqueNamespace('scoped');
    @Injectable({ scope: Scope.REQUEST })
    class RequestScopedJob {
      @ElasticJob({ name: 'scoped', cron: '0/5 * * * * ?', shardingTotalCount: 1 })
      run() {
        return undefined;
      }
    }
    const { operator, logger } = await apps.create(namespace, [RequestScopedJob, jobClass(valid, noop)]);
    expect(operator.getJobNames()).toEqual(['valid']);
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message:
        'Cannot register elastic job "RequestScopedJob@run" because it is defined in a non static provider (request or transient scope). It is ignored.',
    });
    const zk = await registries.open({ namespace });
    expect(await zk.isExisted('/scoped')).toBe(false);
  });

  it('ZooKeeper unreachable: app.init() fails within connectionTimeoutMs, naming the servers', async () => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ElasticJobModule.forRoot({
          zookeeper: { serverLists: `127.0.0.1:${port}`, namespace: 'orders-app', connectionTimeoutMs: 1_000 },
          logger: false,
        }),
      ],
      providers: [jobClass(valid, noop)],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const started = Date.now();
    const error = await app.init().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(RegistryCenterUnavailableError);
    expect((error as Error).message).toMatch(
      new RegExp(`Cannot connect to ZooKeeper at "127.0.0.1:${port}" \\(namespace "orders-app"\\) within 1000 ms`),
    );
    await app.close();
  });

  it('enabled: false: no ZooKeeper needed; jobs are still checked; JobOperator says jobs are off', async () => {
    const port = await freePort(); // nothing listens there
    let ran = 0;
    const build = (options: ElasticJobOptions) =>
      Test.createTestingModule({
        imports: [
          ElasticJobModule.forRoot({
            zookeeper: { serverLists: `127.0.0.1:${port}`, namespace: 'orders-app', connectionTimeoutMs: 30_000 },
            enabled: false,
            logger: false,
          }),
        ],
        providers: [jobClass(options, () => (ran += 1))],
      }).compile();
    const app = (await build({ ...valid, cron: '* * * * * ?' })).createNestApplication({ logger: false });
    const started = Date.now();
    await app.init();
    // Far less than the 30 s connection timeout: nothing tried to connect.
    expect(Date.now() - started).toBeLessThan(5_000);
    const operator = app.get(JobOperator);
    await operator.waitUntilReady();
    expect(operator.getJobNames()).toEqual(['valid']);
    await expect(operator.trigger('valid')).rejects.toThrow(
      'Job "valid" is not available: ElasticJobModule is configured with enabled: false, so nothing connects to ZooKeeper and no job runs.',
    );
    expect(() => operator.getInstances('valid')).toThrow(/enabled: false/);
    await expect(operator.disableServer('valid')).rejects.toThrow(/enabled: false/);
    await expect(operator.start()).rejects.toThrow(/JobOperator.start\(\) is not available/);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(ran).toBe(0);
    await app.close();

    // An invalid job still fails app.init(), with the same error as when enabled.
    const invalid = (await build({ ...valid, cron: 'not a cron' })).createNestApplication({ logger: false });
    await expect(invalid.init()).rejects.toBeInstanceOf(InvalidJobOptionsError);
    await invalid.close();
  });

  it('module options are checked too', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ElasticJobModule.forRoot({ zookeeper: { serverLists: 'nowhere', namespace: 'x' } })],
    })
      .compile()
      .catch((e: unknown) => e);
    expect(moduleRef).toBeInstanceOf(InvalidModuleOptionsError);
    expect((moduleRef as Error).message).toMatch(
      /Invalid zookeeper.serverLists "nowhere": a list of "host:port" separated by commas/,
    );
  });

  it('unknown module and ZooKeeper options are refused with the closest known name, from forRoot and from a factory', async () => {
    const compileWith = (imports: unknown[]) =>
      Test.createTestingModule({ imports: imports as never[] })
        .compile()
        .catch((e: unknown) => e);
    const namespace = uniqueNamespace('unknown-option');
    const connectString = zookeeper.server().connectString;
    const typo = await compileWith([
      ElasticJobModule.forRoot({
        zookeeper: { serverLists: connectString, namespace, sessionTimeoutMS: 4_000 } as never,
      }),
    ]);
    expect(typo).toBeInstanceOf(InvalidModuleOptionsError);
    expect((typo as Error).message).toMatch(
      /Unknown option "sessionTimeoutMS" in the zookeeper options: did you mean "sessionTimeoutMs"\?/,
    );
    const fromFactory = await compileWith([
      ElasticJobModule.forRootAsync({
        useFactory: () => ({ zookeeper: { serverLists: connectString, namespace }, shutdownTimeout: 5_000 }) as never,
      }),
    ]);
    expect(fromFactory).toBeInstanceOf(InvalidModuleOptionsError);
    expect((fromFactory as Error).message).toMatch(
      /Unknown option "shutdownTimeout" in the ElasticJobModule options: did you mean "shutdownTimeoutMs"\?/,
    );
    const zk = await registries.open({ namespace });
    expect(await zk.getChildrenKeys('/')).toEqual([]);
  });

  it('unknown job names give JobNotFoundError naming the known ones', async () => {
    const { operator } = await apps.create(uniqueNamespace('unknown'), [jobClass(valid, noop)]);
    expect(() => operator.getJobConfiguration('nope')).toThrow(JobNotFoundError);
    await expect(operator.trigger('nope')).rejects.toThrow(
      'No job named "nope" on this instance. Known jobs: "valid".',
    );
  });
});

describe('ElasticJobErrorFilter', () => {
  it('answers HTTP with the status an ElasticJobError stands for: 404 for an unknown job, 400 for an invalid change', async () => {
    @Controller('jobs')
    class JobsController {
      constructor(private readonly operator: JobOperator) {}
      @Post(':name/trigger')
      trigger(@Param('name') name: string) {
        return this.operator.trigger(name);
      }
      @Post(':name/count/:count')
      setCount(@Param('name') name: string, @Param('count') count: string) {
        return this.operator.updateJobConfiguration(name, { shardingTotalCount: Number(count) });
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        ElasticJobModule.forRoot({
          zookeeper: { serverLists: zookeeper.server().connectString, namespace: uniqueNamespace('http') },
          logger: false,
        }),
      ],
      controllers: [JobsController],
      providers: [jobClass(valid, noop), { provide: APP_FILTER, useClass: ElasticJobErrorFilter }],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const base = await app.getUrl();
      const unknown = await fetch(`${base}/jobs/nope/trigger`, { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({
        statusCode: 404,
        error: 'JobNotFoundError',
        message: 'No job named "nope" on this instance. Known jobs: "valid".',
      });
      const invalid = await fetch(`${base}/jobs/valid/count/0`, { method: 'POST' });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { error: string }).error).toBe('InvalidJobOptionsError');
      const fine = await fetch(`${base}/jobs/valid/trigger`, { method: 'POST' });
      expect(fine.status).toBe(201);
    } finally {
      await app.close();
    }
  });
});

describe('forRoot / forRootAsync', () => {
  const options = (namespace: string): ElasticJobModuleOptions => ({
    zookeeper: { serverLists: zookeeper.server().connectString, namespace, sessionTimeoutMs: 4_000 },
    serverIp: '127.0.0.1',
    logger: new RecordingLogger(),
  });

  async function startWith(imports: unknown[], providers: unknown[] = []) {
    const moduleRef = await Test.createTestingModule({
      imports: imports as never[],
      providers: [jobClass(valid, noop), ...(providers as never[])],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const operator = app.get(JobOperator);
      await operator.waitUntilReady();
      return operator.getJobConfiguration('valid');
    } finally {
      await app.close();
    }
  }

  it('useFactory with imports and inject', async () => {
    const namespace = uniqueNamespace('factory');
    @Injectable()
    class Settings {
      readonly namespace = namespace;
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}
    const config = await startWith([
      ElasticJobModule.forRootAsync({
        imports: [SettingsModule],
        useFactory: (settings: Settings) => options(settings.namespace),
        inject: [Settings],
      }),
    ]);
    expect(config.shardingTotalCount).toBe(2);
  });

  it('useClass', async () => {
    const namespace = uniqueNamespace('use-class');
    @Injectable()
    class Factory implements ElasticJobOptionsFactory {
      createElasticJobOptions() {
        return options(namespace);
      }
    }
    expect((await startWith([ElasticJobModule.forRootAsync({ useClass: Factory })])).jobName).toBe('valid');
  });

  it('useExisting', async () => {
    const namespace = uniqueNamespace('use-existing');
    @Injectable()
    class Factory implements ElasticJobOptionsFactory {
      createElasticJobOptions() {
        return options(namespace);
      }
    }
    @Module({ providers: [Factory], exports: [Factory] })
    class FactoryModule {}
    expect(
      (await startWith([ElasticJobModule.forRootAsync({ imports: [FactoryModule], useExisting: Factory })])).jobName,
    ).toBe('valid');
  });

  it('isGlobal makes JobOperator injectable in other modules', async () => {
    const namespace = uniqueNamespace('global');
    @Injectable()
    class Consumer {
      constructor(readonly operator: JobOperator) {}
    }
    @Module({ providers: [Consumer], exports: [Consumer] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [ElasticJobModule.forRoot({ ...options(namespace), isGlobal: true }), FeatureModule],
      providers: [jobClass(valid, noop)],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(app.get(Consumer).operator.getJobNames()).toEqual(['valid']);
    await app.close();
  });
});
