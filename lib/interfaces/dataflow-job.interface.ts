import type { ElasticJobOptions } from './elastic-job-options.interface.js';
import type { ShardingContext } from './sharding-context.interface.js';

/**
 * ElasticJob's `DataflowJob<T>`: per item, fetch a batch and process it. Implemented by a
 * provider marked `@ElasticDataflowJob()`.
 */
export interface DataflowJob<T = unknown> {
  /** The item's next batch; an empty one (or none) ends the item's run. */
  fetchData(context: ShardingContext): T[] | null | undefined | Promise<T[] | null | undefined>;
  processData(context: ShardingContext, data: T[]): void | Promise<void>;
}

/** `@ElasticDataflowJob(options)`: a job's options, and how it fetches. */
export interface DataflowJobOptions extends ElasticJobOptions {
  /**
   * Fetch and process again and again until a fetch returns nothing, a reshard is needed, the
   * session is lost or the app closes (ElasticJob's `streaming.process`, kept in `props` as
   * Java writes it). Without it, one fetch and one process per item per fire. Default false.
   */
  streamingProcess?: boolean;
}

/** What a dataflow item's run returns (its `result` in `JobRunResult`). */
export interface DataflowRunResult {
  /** Batches fetched and processed. */
  batches: number;
  /** Records processed, over every batch. */
  records: number;
  /** Why a streaming run stopped. */
  stoppedBy: 'no-data' | 'one-batch' | 'resharding' | 'stopping' | 'aborted';
}
