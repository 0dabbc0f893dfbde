import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ElasticJobModule } from 'nestjs-elastic-job';
import { ElasticJobConsoleModule, type ConsoleUser } from 'nestjs-elastic-job/console';
import { ArchiveJob } from './jobs/archive.job.js';
import { RegionReportJob } from './jobs/region-report.job.js';
import { ElasticJobErrorsFilter } from './operations/elastic-job-errors.filter.js';
import { ExecutionEventsDecorator } from './operations/execution-events.decorator.js';
import { JobsController } from './operations/jobs.controller.js';
import { SAMPLE_CONFIG, sampleConfigFromEnv, type SampleConfig } from './sample.config.js';

function consoleUsers(console: NonNullable<SampleConfig['console']>): ConsoleUser[] {
  const users: ConsoleUser[] = [{ name: 'admin', password: console.adminPassword, role: 'admin' }];
  if (console.guestPassword) users.push({ name: 'guest', password: console.guestPassword, role: 'guest' });
  return users;
}

@Module({})
export class AppModule {
  /** The sample with the given settings (default: from the environment). */
  static register(config: SampleConfig = sampleConfigFromEnv()): DynamicModule {
    const configModule: DynamicModule = {
      module: class SampleConfigModule {},
      providers: [{ provide: SAMPLE_CONFIG, useValue: config }],
      exports: [SAMPLE_CONFIG],
    };
    return {
      module: AppModule,
      imports: [
        configModule,
        // forRootAsync: options built from another provider, as an app would from its config.
        ElasticJobModule.forRootAsync({
          imports: [configModule],
          inject: [SAMPLE_CONFIG],
          useFactory: (sample: SampleConfig) => ({
            zookeeper: {
              serverLists: sample.zookeeperServers,
              namespace: sample.namespace,
              sessionTimeoutMs: sample.sessionTimeoutMs,
            },
            instanceId: sample.instanceId,
            serverIp: sample.serverIp,
            // The code's job settings win over what an earlier version left in ZooKeeper.
            overwrite: true,
            executionDecorator: sample.jsonEvents ? new ExecutionEventsDecorator() : undefined,
            // The execution log, when a database is given: GET /jobs/{name}/history reads it.
            tracing: sample.tracingUrl ? { type: 'RDB', dataSource: sample.tracingUrl } : undefined,
          }),
        }),
        // The console at /elastic-job/, only when a password is given (there is no default one).
        ...(config.console ? [ElasticJobConsoleModule.forRoot({ auth: { users: consoleUsers(config.console) } })] : []),
      ],
      controllers: [JobsController],
      providers: [RegionReportJob, ArchiveJob, { provide: APP_FILTER, useClass: ElasticJobErrorsFilter }],
    };
  }
}
