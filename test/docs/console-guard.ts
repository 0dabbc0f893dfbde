import { Module } from '@nestjs/common';
import { ElasticJobModule } from 'nestjs-elastic-job';
import { ElasticJobConsoleModule } from 'nestjs-elastic-job/console';
import { AuthModule, JwtAuthGuard } from './auth.js';

@Module({
  imports: [
    ElasticJobModule.forRoot({ zookeeper: { serverLists: 'localhost:2181', namespace: 'orders' } }),
    ElasticJobConsoleModule.forRoot({
      auth: {
        guard: JwtAuthGuard,
        roleOf: (request: { user?: { groups: string[] } }) =>
          request.user?.groups.includes('ops') ? 'admin' : 'guest',
      },
      imports: [AuthModule],
    }),
  ],
})
export class AppModule {}
