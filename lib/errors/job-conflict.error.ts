import { ElasticJobError } from './elastic-job.error.js';

/** Two declarations, or code and registry, disagree about who a job is. */
export class JobConflictError extends ElasticJobError {}
