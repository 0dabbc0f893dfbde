/**
 * nestjs-elastic-job: ElasticJob-Lite's distributed, sharded cron jobs as a NestJS module.
 * @publicApi
 */
export { ElasticJobModule } from './elastic-job.module.js';
export type { ElasticJobOptionsFactory } from './elastic-job.module-definition.js';
export { ElasticJob } from './decorators/elastic-job.decorator.js';
export { JobListener } from './decorators/job-listener.decorator.js';
export { ElasticDataflowJob } from './decorators/elastic-dataflow-job.decorator.js';
export { JobOperator, type RunWaitOptions } from './job.operator.js';
export { JobExecutionDecorator } from './job-execution.decorator.js';
export { ElasticJobErrorFilter, httpStatusOf } from './elastic-job-error.filter.js';
export { ELASTIC_JOB_REGISTRY_CENTER } from './elastic-job.constants.js';
export { JobEventStream } from './events/job-event-stream.js';
export { ExecutionHistory } from './tracing/execution-history.js';
export * from './interfaces/index.js';
export * from './errors/index.js';
export type { RegistryCenter } from './registry/registry-center.interface.js';
