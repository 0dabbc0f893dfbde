import { Injectable, Logger } from '@nestjs/common';
import { ElasticJob, type ShardingContext } from 'nestjs-elastic-job';

export const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south', 'ap-east'] as const;

export interface RegionReport {
  region: string;
  period: string;
  orders: number;
}

/**
 * A sharded job: one item per region. Every 3 seconds each region's report is built exactly
 * once in the cluster, by whichever instance owns that item.
 */
@Injectable()
export class RegionReportJob {
  private readonly logger = new Logger(RegionReportJob.name);

  @ElasticJob({
    name: 'region-report',
    cron: '0/3 * * * * ?',
    shardingTotalCount: REGIONS.length,
    shardingItemParameters: Object.fromEntries(REGIONS.map((region, item) => [item, region])),
    jobParameter: 'last-hour',
    description: 'One report per region; regions spread over the live instances',
  })
  async build(context: ShardingContext): Promise<RegionReport> {
    const region = context.shardingParameter ?? `item-${context.shardingItem}`;
    // Stand-in for real work: a query per region.
    await new Promise((resolve) => setTimeout(resolve, 50 + context.shardingItem * 10));
    const orders = ordersFor(region, context.fireTime);
    this.logger.debug(`${region}: ${orders} orders (${context.jobParameter}, ${context.executionSource})`);
    return { region, period: context.jobParameter, orders };
  }
}

/** Deterministic fake figures, so the sample's tests can check them. */
export function ordersFor(region: string, fireTime: Date): number {
  let hash = fireTime.getUTCHours();
  for (const char of region) hash = (hash * 31 + char.charCodeAt(0)) % 997;
  return hash;
}
