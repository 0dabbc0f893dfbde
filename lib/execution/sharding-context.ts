import { parseShardingItemParameters } from '../config/sharding-item-parameters.js';
import type { JobConfiguration } from '../config/job-configuration.js';

/** ElasticJob's task id: `{job}@-@{items}@-@READY@-@{instanceId}` (`{ip}@-@{pid}` by default). */
export function taskId(jobName: string, items: readonly number[], instanceId: string): string {
  return `${jobName}@-@${items.join(',')}@-@READY@-@${instanceId}`;
}

/** Item parameters of a configuration (already validated, so parsing cannot fail). */
export function itemParameters(config: JobConfiguration): Map<number, string> {
  try {
    return parseShardingItemParameters(config.shardingItemParameters);
  } catch {
    return new Map();
  }
}
