import { LOCK_TIMEOUT } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** A distributed lock was not acquired within its bound. */
export class LockTimeoutError extends ElasticJobError {
  constructor(
    readonly path: string,
    readonly timeoutMs: number,
    readonly holder?: string,
  ) {
    super(LOCK_TIMEOUT(path, timeoutMs, holder));
  }
}
