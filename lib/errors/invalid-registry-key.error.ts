import { INVALID_REGISTRY_KEY } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** A registry key that is not an absolute, normalised path (`/`, `/job`, `/job/config`). */
export class InvalidRegistryKeyError extends ElasticJobError {
  constructor(readonly key: string) {
    super(INVALID_REGISTRY_KEY(key));
  }
}
