import { ElasticJobError } from './elastic-job.error.js';

/** `ElasticJobModule.forRoot()` options are invalid. */
export class InvalidModuleOptionsError extends ElasticJobError {}
