import { LOCK_LOST } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** A distributed lock was lost while waiting for it: the ZooKeeper session that asked for it ended. */
export class LockLostError extends ElasticJobError {
  constructor(readonly path: string) {
    super(LOCK_LOST(path));
  }
}
