import { JOB_NOT_FOUND } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

export class JobNotFoundError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    knownJobs: readonly string[],
    /** Where it was looked for (default: "on this instance"). */
    where?: string,
  ) {
    super(JOB_NOT_FOUND(jobName, knownJobs, where));
  }
}
