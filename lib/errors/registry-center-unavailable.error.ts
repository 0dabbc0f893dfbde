import { REGISTRY_UNAVAILABLE } from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** No ZooKeeper session could be made in time (boot fails with it). */
export class RegistryCenterUnavailableError extends ElasticJobError {
  constructor(
    readonly serverLists: string,
    readonly namespace: string,
    readonly timeoutMs: number,
    cause?: unknown,
  ) {
    super(REGISTRY_UNAVAILABLE(serverLists, namespace, timeoutMs, cause instanceof Error ? cause.message : undefined), {
      cause,
    });
  }
}
