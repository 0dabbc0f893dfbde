import { RUN_WAIT_TIMEOUT } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** `JobOperator.nextRun` or `triggerAndWait` saw no run of the job here within its bound. */
export class RunWaitTimeoutError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    readonly timeoutMs: number,
  ) {
    super(RUN_WAIT_TIMEOUT(jobName, timeoutMs));
  }
}
