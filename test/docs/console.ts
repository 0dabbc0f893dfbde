import { Module } from '@nestjs/common';
import { ElasticJobModule } from 'nestjs-elastic-job';
import { ElasticJobConsoleModule } from 'nestjs-elastic-job/console';

@Module({
  imports: [
    ElasticJobModule.forRoot({ zookeeper: { serverLists: 'localhost:2181', namespace: 'orders' } }),
    ElasticJobConsoleModule.forRoot({
      auth: {
        users: [
          { name: 'ops', password: process.env.CONSOLE_ADMIN_PASSWORD!, role: 'admin' },
          { name: 'support', password: process.env.CONSOLE_GUEST_PASSWORD!, role: 'guest' },
        ],
      },
    }),
  ],
})
export class AppModule {}
