import { Inject, Injectable, Logger } from '@nestjs/common';
import { ElasticJob, type ShardingContext } from 'nestjs-elastic-job';
import { SAMPLE_CONFIG, type SampleConfig } from '../sample.config.js';

/** One archive item is this many batches of `archiveBatchMs` each. */
export const ARCHIVE_BATCHES = 8;

/**
 * A long job with failover: each item takes about 8 s (8 batches). If the instance running an item dies,
 * a survivor runs that item again (source `FAILOVER`) as soon as ZooKeeper ends the dead
 * instance's session, instead of waiting for the next fire.
 */
@Injectable()
export class ArchiveJob {
  private readonly logger = new Logger(ArchiveJob.name);

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  @ElasticJob({
    name: 'archive',
    cron: '0/20 * * * * ?',
    shardingTotalCount: 3,
    failover: true,
    misfire: false,
    description: 'Moves old orders to cold storage, one partition per item; fails over',
  })
  async archive(context: ShardingContext): Promise<{ partition: number; batches: number }> {
    let batches = 0;
    for (let batch = 0; batch < ARCHIVE_BATCHES; batch += 1) {
      // Stop promptly when the run is aborted (shutdown deadline, lost session).
      context.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, this.config.archiveBatchMs));
      batches += 1;
    }
    this.logger.debug(`partition ${context.shardingItem}: ${batches} batches (${context.executionSource})`);
    return { partition: context.shardingItem, batches };
  }
}
