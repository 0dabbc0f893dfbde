import { ElasticJobError } from './elastic-job.error.js';

/**
 * An operator write reached ZooKeeper, but this instance's own view did not show it in time
 * (a slow or cut-off connection): the change is made, what follows may not see it yet.
 */
export class OperationNotVisibleError extends ElasticJobError {}
