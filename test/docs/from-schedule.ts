import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ElasticJob, type ShardingContext } from 'nestjs-elastic-job';

@Injectable()
export class ReportTasks {
  // Before: `@Cron(...)` alone ran this on every replica, every hour.
  // After: the line above it makes it one run per hour across the cluster, in 4 items.
  @ElasticJob({ shardingTotalCount: 4, failover: true })
  @Cron(CronExpression.EVERY_HOUR, { name: 'hourly-report', timeZone: 'Europe/Paris' })
  async hourlyReport(context: ShardingContext) {
    // This run's share of the work: item 0..3 of 4.
    await this.reportPart(context.shardingItem, context.shardingTotalCount);
  }

  private async reportPart(item: number, of: number) {
    void [item, of];
  }

  // Untouched: still @nestjs/schedule's, on every replica (a local cache refresh, say).
  @Cron(CronExpression.EVERY_MINUTE)
  refreshLocalCache() {}
}
