import { Controller, Get, Module, Query } from '@nestjs/common';
import { ElasticJobModule, ExecutionHistory } from 'nestjs-elastic-job';

@Controller('jobs')
export class JobHistoryController {
  constructor(private readonly history: ExecutionHistory) {}

  @Get('failures')
  failures(@Query('job') jobName: string) {
    // The last 20 failed runs of a job, newest first, each with its cause.
    return this.history.executions({ jobName, outcome: 'failed', limit: 20 });
  }

  @Get('statistics')
  statistics() {
    // Per job over the last 24 hours: runs, failures, success rate, duration percentiles.
    return this.history.statistics();
  }
}

@Module({
  imports: [
    ElasticJobModule.forRoot({
      zookeeper: { serverLists: 'localhost:2181', namespace: 'orders' },
      tracing: { type: 'RDB', dataSource: process.env.DATABASE_URL!, retentionDays: 30 },
    }),
  ],
  controllers: [JobHistoryController],
})
export class AppModule {}
