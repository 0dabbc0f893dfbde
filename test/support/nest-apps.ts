import { Injectable, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ElasticJob } from '../../lib/decorators/elastic-job.decorator.js';
import { ELASTIC_JOB_REGISTRY_CENTER } from '../../lib/elastic-job.constants.js';
import type { RegistryCenter } from '../../lib/registry/registry-center.interface.js';
import type { FireRecord } from './fires.js';
import { ElasticJobModule } from '../../lib/elastic-job.module.js';
import type { ElasticJobModuleOptions } from '../../lib/interfaces/elastic-job-module-options.interface.js';
import type { ElasticJobOptions } from '../../lib/interfaces/elastic-job-options.interface.js';
import type { ShardingContext } from '../../lib/interfaces/sharding-context.interface.js';
import { JobOperator } from '../../lib/job.operator.js';
import { RecordingLogger } from './registry.js';
import { waitFor } from './wait.js';

/** One handler call, as a test sees it. */
export interface Execution {
  job: string;
  instance: string;
  item: number;
  parameter: string | undefined;
  source: string;
  fireTime: number;
  startedAt: number;
  context: ShardingContext;
}

/** A provider class with one `@ElasticJob` method calling `handler`. */
export function jobClass(
  options: ElasticJobOptions,
  handler: (context: ShardingContext) => unknown,
  name = 'TestJob',
): Type {
  @Injectable()
  class JobHost {
    @ElasticJob(options)
    run(context: ShardingContext) {
      return handler(context);
    }
  }
  Object.defineProperty(JobHost, 'name', { value: name });
  return JobHost;
}

export interface TestApp {
  app: INestApplication;
  operator: JobOperator;
  logger: RecordingLogger;
  instanceId: string;
}

/** Builds, initialises and remembers Nest apps; `closeAll()` closes them. */
export class AppFixture {
  private readonly apps: INestApplication[] = [];

  constructor(private readonly connectString: () => string) {}

  async create(
    namespace: string,
    providers: Array<Provider | Type>,
    options: Partial<ElasticJobModuleOptions> = {},
    init = true,
  ): Promise<TestApp> {
    const logger = new RecordingLogger();
    const instanceId =
      options.instanceId ??
      `127.0.0.1@-@${process.pid}-${this.apps.length + 1}-${Math.random().toString(36).slice(2, 6)}`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        ElasticJobModule.forRoot({
          zookeeper: {
            serverLists: this.connectString(),
            namespace,
            sessionTimeoutMs: 4_000,
            connectionTimeoutMs: 5_000,
          },
          serverIp: '127.0.0.1',
          instanceId,
          logger,
          shutdownTimeoutMs: 3_000,
          ...options,
        }),
      ],
      providers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    this.apps.push(app);
    if (init) await app.init();
    return { app, operator: app.get(JobOperator), logger, instanceId };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.close().catch(() => undefined)));
  }
}

/** Records every execution of every job, with the instance that ran it. */
export class ExecutionLog {
  readonly executions: Execution[] = [];

  record(instance: string, context: ShardingContext): void {
    this.executions.push({
      job: context.jobName,
      instance,
      item: context.shardingItem,
      parameter: context.shardingParameter,
      source: context.executionSource,
      fireTime: context.fireTime.getTime(),
      startedAt: Date.now(),
      context,
    });
  }

  of(job: string): Execution[] {
    return this.executions.filter((e) => e.job === job);
  }
}

/**
 * Instances of one 4-item job firing every second, each recording its runs in `records`, with
 * the given ZooKeeper options; resolves with their registry centers once every one ran items.
 */
export async function startRecordingInstances(
  apps: AppFixture,
  namespace: string,
  ids: readonly string[],
  records: FireRecord[],
  zookeeper: ElasticJobModuleOptions['zookeeper'],
  job = 'steady',
): Promise<RegistryCenter[]> {
  const centers: RegistryCenter[] = [];
  for (const id of ids) {
    const Job = jobClass({ name: job, cron: '* * * * * ?', shardingTotalCount: 4 }, (ctx) => {
      records.push({
        fireTime: ctx.fireTime.getTime(),
        item: ctx.shardingItem,
        instance: id,
        source: ctx.executionSource,
      });
    });
    const { app } = await apps.create(namespace, [Job], { instanceId: id, zookeeper });
    centers.push(app.get<RegistryCenter>(ELASTIC_JOB_REGISTRY_CENTER));
  }
  await waitFor('every instance runs items', () => ids.every((id) => records.some((r) => r.instance === id)), 15_000);
  return centers;
}
