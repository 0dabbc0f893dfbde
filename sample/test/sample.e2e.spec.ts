// The sample app end to end: its module in a Nest testing module against a real ZooKeeper,
// its HTTP API over a real socket.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunResult } from 'nestjs-elastic-job';
import { runJob, testingModuleOptions, ZooKeeperTestingServer } from 'nestjs-elastic-job/testing';
import { AppModule } from '../src/app.module.js';
import { ARCHIVE_BATCHES } from '../src/jobs/archive.job.js';
import { ordersFor, REGIONS } from '../src/jobs/region-report.job.js';
import type { SampleConfig } from '../src/sample.config.js';

let server: ZooKeeperTestingServer;
let app: INestApplication | undefined;
let baseUrl: string;

async function startSample(overrides: Partial<SampleConfig> = {}): Promise<INestApplication> {
  const { zookeeper } = testingModuleOptions(server);
  const config: SampleConfig = {
    zookeeperServers: zookeeper.serverLists,
    namespace: zookeeper.namespace,
    sessionTimeoutMs: zookeeper.sessionTimeoutMs!,
    port: 0,
    jsonEvents: false,
    archiveBatchMs: 10,
    ...overrides,
  };
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
  return app;
}

async function http(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, { method });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  server = await ZooKeeperTestingServer.start();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
});
afterAll(() => server?.close());

describe('the sample jobs', () => {
  it('region-report builds one report per region, each item with its region', async () => {
    const sample = await startSample();

    const run = await runJob(sample, 'region-report', { throwOnFailure: true });

    expect(run.items.map((item) => item.result)).toEqual(
      REGIONS.map((region) => ({ region, period: 'last-hour', orders: ordersFor(region, run.fireTime) })),
    );
  });

  it('archive runs its three partitions to the end', async () => {
    const sample = await startSample();

    const run = await runJob(sample, 'archive', { throwOnFailure: true });

    expect(run.items.map((item) => item.result)).toEqual(
      [0, 1, 2].map((partition) => ({ partition, batches: ARCHIVE_BATCHES })),
    );
  });
});

describe('the HTTP API', () => {
  it('lists the jobs as configured in ZooKeeper', async () => {
    await startSample();

    const { status, body } = await http('GET', '/jobs');

    expect(status).toBe(200);
    expect(body).toEqual([
      expect.objectContaining({ name: 'region-report', cron: '0/3 * * * * ?', shardingTotalCount: 6, failover: false }),
      expect.objectContaining({ name: 'archive', cron: '0/20 * * * * ?', shardingTotalCount: 3, failover: true }),
    ]);
    expect((await http('GET', '/jobs/archive')).body).toMatchObject({ jobName: 'archive', misfire: false });
  });

  it('shows the sharding and the instances, and runs a trigger with ?wait=true', async () => {
    await startSample();
    const triggered = await http('POST', '/jobs/region-report/trigger?wait=true');
    expect(triggered.status).toBe(202);
    expect((triggered.body as JobRunResult).items.map((item) => item.status)).toEqual(REGIONS.map(() => 'SUCCEEDED'));

    const sharding = await http('GET', '/jobs/region-report/sharding');
    const instances = await http('GET', '/jobs/region-report/instances');

    expect(sharding.body.map((info: { item: number }) => info.item)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(instances.body).toHaveLength(1);
    expect(instances.body[0]).toMatchObject({ leader: true, items: [0, 1, 2, 3, 4, 5] });
  });

  it('a disabled item is skipped until it is enabled again', async () => {
    await startSample();

    expect((await http('POST', '/jobs/region-report/items/4/disable')).status).toBe(204);
    const without = await http('POST', '/jobs/region-report/trigger?wait=true');
    expect((await http('POST', '/jobs/region-report/items/4/enable')).status).toBe(204);
    const withIt = await http('POST', '/jobs/region-report/trigger?wait=true');

    expect(without.body.items.map((item: { item: number }) => item.item)).toEqual([0, 1, 2, 3, 5]);
    expect(withIt.body.items.map((item: { item: number }) => item.item)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('answers 404 for an unknown job and 400 for an item outside the job', async () => {
    await startSample();

    const unknown = await http('GET', '/jobs/payroll/sharding');
    const outside = await http('POST', '/jobs/archive/items/7/disable');

    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('payroll');
    expect(outside.status).toBe(400);
    expect(outside.body.message).toContain('an item from 0 to 2');
  });
});
