import { LISTENER_FAILED } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** A job listener threw, or did not return in time; the fire went on. */
export class ListenerFailedError extends ElasticJobError {
  constructor(
    readonly jobName: string,
    readonly listener: string,
    readonly method: string,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(LISTENER_FAILED(jobName, listener, method, what), options);
  }
}
