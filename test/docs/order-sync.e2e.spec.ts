import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ElasticJobModule } from 'nestjs-elastic-job';
import {
  createShardingContext,
  runJob,
  testingModuleOptions,
  ZooKeeperTestingServer,
} from 'nestjs-elastic-job/testing';
import { OrderSyncJob } from './first-job.js';

let zookeeper: ZooKeeperTestingServer;
let app: TestingModule;

beforeAll(async () => {
  zookeeper = await ZooKeeperTestingServer.start(); // a real server on a free loopback port
  app = await Test.createTestingModule({
    // A namespace of its own on that server, and a short session timeout.
    imports: [ElasticJobModule.forRoot(testingModuleOptions(zookeeper, { logger: false }))],
    providers: [OrderSyncJob],
  }).compile();
  await app.init();
});

afterAll(async () => {
  await app?.close();
  await zookeeper?.close();
});

it('syncs every city, one item each', async () => {
  const run = await runJob(app, 'order-sync', { throwOnFailure: true });

  expect(run.items.map((item) => [item.item, item.result])).toEqual([
    [0, 7], // Beijing
    [1, 8], // Shanghai
    [2, 9], // Guangzhou
  ]);
});

it('handles one item when called directly', async () => {
  const job = app.get(OrderSyncJob);

  const result = await job.sync(
    createShardingContext({ shardingItem: 1, shardingTotalCount: 3, shardingParameter: 'Shanghai' }),
  );

  expect(result).toBe(8);
});
