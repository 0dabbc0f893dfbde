import { Module } from '@nestjs/common';
import { ElasticJobModule } from 'nestjs-elastic-job';
import { OrderSyncJob } from './first-job.js';

@Module({
  imports: [
    ElasticJobModule.forRootAsync({
      isGlobal: true, // JobOperator injectable in every module
      useFactory: () => ({
        zookeeper: {
          serverLists: process.env.ZK_SERVERS ?? '127.0.0.1:2181',
          namespace: 'orders-app',
          sessionTimeoutMs: 10_000,
        },
        shutdownTimeoutMs: 30_000,
      }),
    }),
  ],
  providers: [OrderSyncJob],
})
export class AppModule {}
