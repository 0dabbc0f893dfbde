import { ElasticJobError } from './elastic-job.error.js';

/** Jobs cannot be operated here now: the module is off (`enabled: false`) or still starting. */
export class JobsUnavailableError extends ElasticJobError {}
