/** Metadata key of `@ElasticJob()` options on a method. */
export const ELASTIC_JOB_METADATA = 'elastic-job:job-options';
/** The options as given to `forRoot` / `forRootAsync`. */
export const ELASTIC_JOB_MODULE_OPTIONS = 'elastic-job:module-options';
/** The options with defaults applied and checked. */
export const ELASTIC_JOB_RESOLVED_OPTIONS = 'elastic-job:resolved-options';
/** The `RegistryCenter` the module coordinates through. */
export const ELASTIC_JOB_REGISTRY_CENTER = 'elastic-job:registry-center';
/** Metadata key of `@JobListener()` options on a class. */
export const ELASTIC_JOB_LISTENER_METADATA = 'elastic-job:job-listener';
/** `@nestjs/schedule`'s `@Cron()` options of a method `@ElasticJob()` took over. */
export const ELASTIC_JOB_CRON_METADATA = 'elastic-job:schedule-cron';
/** Metadata key of `@ElasticDataflowJob()` options on a class. */
export const ELASTIC_DATAFLOW_JOB_METADATA = 'elastic-job:dataflow-job';
/** ElasticJob's property of a dataflow job that streams (`DataflowJobProperties.STREAM_PROCESS_KEY`). */
export const STREAMING_PROCESS_PROP = 'streaming.process';
