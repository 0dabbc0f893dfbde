import { Injectable, Logger, Module } from '@nestjs/common';
import { ElasticJob, ElasticJobModule, type ShardingContext } from 'nestjs-elastic-job';

@Injectable()
export class OrderSyncJob {
  private readonly logger = new Logger(OrderSyncJob.name);

  @ElasticJob({
    name: 'order-sync',
    cron: '0/5 * * * * ?', // Quartz: seconds first, every 5 seconds
    shardingTotalCount: 3,
    shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
    failover: true,
  })
  async sync(context: ShardingContext): Promise<number> {
    // Called once per item this instance owns, for every fire.
    const city = context.shardingParameter!;
    this.logger.log(`syncing ${city} (item ${context.shardingItem} of ${context.shardingTotalCount})`);
    return city.length; // whatever the handler returns is its item's result
  }
}

@Module({
  imports: [
    ElasticJobModule.forRoot({
      zookeeper: { serverLists: '127.0.0.1:2181', namespace: 'orders-app' },
    }),
  ],
  providers: [OrderSyncJob],
})
export class AppModule {}
