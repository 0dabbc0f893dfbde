import { STREAMING_PROCESS_PROP } from '../elastic-job.constants.js';
import type { JobConfiguration } from '../config/job-configuration.js';
import type { DataflowJob, DataflowRunResult } from '../interfaces/dataflow-job.interface.js';
import type { ShardingContext } from '../interfaces/sharding-context.interface.js';

/** Whether a configuration streams (its `props`, as Java writes them). */
export function isStreaming(config: JobConfiguration): boolean {
  return config.props[STREAMING_PROCESS_PROP] === 'true';
}

/**
 * One item's dataflow run: fetch, then process what came; with streaming, again until a fetch
 * brings nothing or the run must stop (`stopping`: the app closing or the job shut down here,
 * or a reshard pending; or the item's signal aborted). A batch fetched is always processed
 * before stopping, so nothing fetched is left half done by a stop between batches.
 */
export async function runDataflow<T>(
  job: DataflowJob<T>,
  context: ShardingContext,
  control: { streaming: () => boolean; resharding: () => boolean; stopping: () => boolean },
): Promise<DataflowRunResult> {
  let batches = 0;
  let records = 0;
  for (;;) {
    const data = await job.fetchData(context);
    if (data !== null && data !== undefined && !Array.isArray(data)) {
      throw new TypeError(`fetchData of job "${context.jobName}" returned ${typeof data}, not an array`);
    }
    if (!data || data.length === 0) return { batches, records, stoppedBy: 'no-data' };
    await job.processData(context, data);
    batches += 1;
    records += data.length;
    if (!control.streaming()) return { batches, records, stoppedBy: 'one-batch' };
    // A turn of the event loop between batches, even when both methods return at once: timers,
    // ZooKeeper and the abort signal get their say before the next fetch.
    await new Promise((resolve) => setImmediate(resolve));
    if (context.signal.aborted) return { batches, records, stoppedBy: 'aborted' };
    if (control.stopping()) return { batches, records, stoppedBy: 'stopping' };
    if (control.resharding()) return { batches, records, stoppedBy: 'resharding' };
  }
}
