import { INVALID_JOB_OPTIONS } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** One or more `@ElasticJob()` declarations are invalid; `problems` lists each. */
export class InvalidJobOptionsError extends ElasticJobError {
  constructor(readonly problems: readonly string[]) {
    super(INVALID_JOB_OPTIONS(problems));
  }
}
