import { ElasticJobError } from './elastic-job.error.js';

/** The execution history was asked for, and the module has no execution log (`tracing`). */
export class ExecutionLogUnavailableError extends ElasticJobError {}
