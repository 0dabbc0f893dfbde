import { Injectable, Logger } from '@nestjs/common';
import { JobListener, type ElasticJobListener, type JobRunResult, type ShardingContexts } from 'nestjs-elastic-job';

@Injectable()
@JobListener({ jobs: ['order-sync'], order: 1, timeoutMs: 5_000 })
export class OrderSyncAudit implements ElasticJobListener {
  private readonly logger = new Logger(OrderSyncAudit.name);

  beforeJobExecuted(contexts: ShardingContexts) {
    this.logger.log(`${contexts.jobName}: items ${Object.keys(contexts.shardingItemParameters)} start here`);
  }

  afterJobExecuted(contexts: ShardingContexts, result: JobRunResult) {
    const failed = result.items.filter((item) => item.status !== 'SUCCEEDED').length;
    this.logger.log(`${contexts.jobName}: ${result.items.length} items ran here, ${failed} failed`);
  }
}
