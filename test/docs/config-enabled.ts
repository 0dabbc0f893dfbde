import { Module } from '@nestjs/common';
import { ElasticJobModule } from 'nestjs-elastic-job';
import { OrderSyncJob } from './first-job.js';

@Module({
  imports: [
    ElasticJobModule.forRootAsync({
      useFactory: () => ({
        zookeeper: { serverLists: process.env.ZK_SERVERS ?? '127.0.0.1:2181', namespace: 'orders-app' },
        // ELASTIC_JOB_ENABLED=false in the tests that do not test jobs: they need no ZooKeeper.
        enabled: process.env.ELASTIC_JOB_ENABLED !== 'false',
      }),
    }),
  ],
  providers: [OrderSyncJob],
})
export class AppModule {}
