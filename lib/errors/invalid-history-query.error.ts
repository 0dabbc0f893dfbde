import { ElasticJobError } from './elastic-job.error.js';

/** A query of the execution history is invalid: the message names the field and what is allowed. */
export class InvalidHistoryQueryError extends ElasticJobError {}
