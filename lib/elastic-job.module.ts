import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { resolveModuleOptions, type ResolvedModuleOptions } from './config/module-options.js';
import {
  ELASTIC_JOB_MODULE_OPTIONS,
  ELASTIC_JOB_REGISTRY_CENTER,
  ELASTIC_JOB_RESOLVED_OPTIONS,
} from './elastic-job.constants.js';
import { ElasticJobExplorer } from './elastic-job.explorer.js';
import { ElasticJobMetadataAccessor } from './elastic-job-metadata.accessor.js';
import { ConfigurableModuleClass } from './elastic-job.module-definition.js';
import { ElasticJobOrchestrator } from './elastic-job.orchestrator.js';
import { JobEventStream } from './events/job-event-stream.js';
import { JobOperator } from './job.operator.js';
import { ZookeeperRegistryCenter } from './registry/zookeeper.registry-center.js';
import { ExecutionHistory } from './tracing/execution-history.js';
import { ExecutionLog } from './tracing/execution-log.js';

/**
 * `ElasticJobModule.forRoot({ zookeeper: { serverLists, namespace } })`, or `forRootAsync`
 * with `useFactory` / `useClass` / `useExisting`; `isGlobal` makes `JobOperator` available
 * everywhere.
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: ELASTIC_JOB_RESOLVED_OPTIONS,
      useFactory: resolveModuleOptions,
      inject: [ELASTIC_JOB_MODULE_OPTIONS],
    },
    {
      provide: ELASTIC_JOB_REGISTRY_CENTER,
      useFactory: (options: ResolvedModuleOptions) => new ZookeeperRegistryCenter(options.zookeeper, options.logger),
      inject: [ELASTIC_JOB_RESOLVED_OPTIONS],
    },
    ElasticJobMetadataAccessor,
    ElasticJobOrchestrator,
    ElasticJobExplorer,
    JobOperator,
    JobEventStream,
    ExecutionLog,
    ExecutionHistory,
  ],
  exports: [JobOperator, JobEventStream, ExecutionHistory],
})
export class ElasticJobModule extends ConfigurableModuleClass {}
