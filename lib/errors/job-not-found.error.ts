import { JOB_NOT_FOUND } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

export class JobNotFoundError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    knownJobs: readonly string[],
  ) {
    super(JOB_NOT_FOUND(jobName, knownJobs));
  }
}
