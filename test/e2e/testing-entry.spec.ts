// `nestjs-elastic-job/testing`, used through the package entries as a user's test would.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ElasticJob, ElasticJobModule, JobOperator, type ShardingContext } from 'nestjs-elastic-job';
import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';
import {
  createShardingContext,
  JobRunFailedError,
  runJob,
  testingModuleOptions,
  ZooKeeperTestingServer,
} from 'nestjs-elastic-job/testing';
import { waitFor } from '../support/wait.js';

@Injectable()
class InvoiceJob {
  failOn = new Set<string>();

  @ElasticJob({
    name: 'invoices',
    cron: '0 0 3 * * ?',
    shardingTotalCount: 3,
    shardingItemParameters: '0=north,1=south,2=west',
  })
  send(context: ShardingContext) {
    const region = context.shardingParameter!;
    if (this.failOn.has(region)) throw new Error(`mail server for ${region} refused`);
    return { region, sent: region.length };
  }
}

let server: ZooKeeperTestingServer;
const modules: TestingModule[] = [];

async function startApp(): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [ElasticJobModule.forRoot(testingModuleOptions(server, { logger: false }))],
    providers: [InvoiceJob],
  }).compile();
  modules.push(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

beforeAll(async () => {
  server = await ZooKeeperTestingServer.start();
});
afterEach(async () => {
  await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
});
afterAll(() => server?.close());

describe('runJob', () => {
  it('runs every item of the job and resolves with each item’s result', async () => {
    const app = await startApp();

    const run = await runJob(app, 'invoices');

    expect(run.jobName).toBe('invoices');
    expect(run.executionSource).toBe('MANUAL');
    expect(run.items.map((item) => [item.item, item.status, item.result])).toEqual([
      [0, 'SUCCEEDED', { region: 'north', sent: 5 }],
      [1, 'SUCCEEDED', { region: 'south', sent: 5 }],
      [2, 'SUCCEEDED', { region: 'west', sent: 4 }],
    ]);
  });

  it('reports a failing item with its error, and throws it with throwOnFailure', async () => {
    const app = await startApp();
    app.get(InvoiceJob).failOn.add('south');

    const run = await runJob(app, 'invoices');
    expect(run.items.map((item) => item.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    expect(String(run.items[1].error)).toContain('mail server for south refused');

    const error = await runJob(app, 'invoices', { throwOnFailure: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobRunFailedError);
    expect((error as JobRunFailedError).failedItems.map((item) => item.item)).toEqual([1]);
    expect((error as Error).message).toContain('1 of 3 items did not succeed');
    expect((error as Error).message).toContain('item 1: FAILED: mail server for south refused');
  });

  it('splits the items between two instances of the app; each sees its own share', async () => {
    const options = testingModuleOptions(server, { logger: false });
    const apps: TestingModule[] = [];
    for (const instanceId of ['127.0.0.1@-@1', '127.0.0.1@-@2']) {
      const moduleRef = await Test.createTestingModule({
        imports: [ElasticJobModule.forRoot({ ...options, instanceId })],
        providers: [InvoiceJob],
      }).compile();
      modules.push(moduleRef);
      await moduleRef.init();
      apps.push(moduleRef);
    }
    // Both joined: wait until the assignment covers both instances.
    const operator = apps[0].get(JobOperator);
    const deadline = Date.now() + 20_000;
    while (operator.getInstances('invoices').filter((instance) => instance.items.length > 0).length < 2) {
      if (Date.now() > deadline) throw new Error('the second instance never got items');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const runs = await Promise.all([runJob(apps[0], 'invoices'), apps[1].get(JobOperator).nextRun('invoices')]);

    const items = runs.flatMap((run) => run.items.map((item) => item.item)).sort();
    expect(items).toEqual([0, 1, 2]);
    expect(runs.every((run) => run.items.length > 0)).toBe(true);
  });
});

describe('testingModuleOptions', () => {
  it('gives every call its own namespace on the server, and lets overrides win', () => {
    const first = testingModuleOptions(server);
    const second = testingModuleOptions(server.connectString, {
      instanceId: 'x@-@1',
      zookeeper: { sessionTimeoutMs: 6_000 } as never,
    });

    expect(first.zookeeper.serverLists).toBe(server.connectString);
    expect(first.zookeeper.namespace).toMatch(/^elastic-job-test-[0-9a-f]{8}$/);
    expect(second.zookeeper.namespace).not.toBe(first.zookeeper.namespace);
    expect(first.zookeeper.sessionTimeoutMs).toBe(4_000);
    expect(second.zookeeper.sessionTimeoutMs).toBe(6_000);
    expect(second.instanceId).toBe('x@-@1');
  });
});

describe('createShardingContext', () => {
  it('builds a context to call a handler directly, without the module', () => {
    const job = new InvoiceJob();

    const result = job.send(createShardingContext({ jobName: 'invoices', shardingItem: 2, shardingParameter: 'west' }));

    expect(result).toEqual({ region: 'west', sent: 4 });
    const context = createShardingContext({ shardingItem: 2, shardingTotalCount: 3 });
    expect(context).toMatchObject({ jobName: 'test-job', shardingItem: 2, shardingTotalCount: 3, jobParameter: '' });
    expect(context.taskId).toBe(`test-job@-@2@-@READY@-@127.0.0.1@-@${process.pid}`);
    expect(context.signal.aborted).toBe(false);
  });

  it('rejects an item outside the count, naming what is allowed', () => {
    expect(() => createShardingContext({ shardingItem: 3, shardingTotalCount: 3 })).toThrow(
      'shardingItem must be an integer from 0 to shardingTotalCount - 1 (2), got 3',
    );
    expect(() => createShardingContext({ shardingItem: -1 })).toThrow(RangeError);
  });
});

describe('ZooKeeperTestingServer', () => {
  it('keeps its data across stop and restart, and serves again on the same port', async () => {
    const own = await ZooKeeperTestingServer.start();
    const registry = new ZookeeperRegistryCenter({ serverLists: own.connectString, namespace: 'restart' });
    try {
      await registry.init();
      await registry.persist('/kept', 'yes');
      const port = own.port;

      await own.stop();
      expect(own.isRunning).toBe(false);
      await own.restart();

      expect(own.port).toBe(port);
      expect(await own.mode()).toBe('standalone');
      expect(await registry.getDirectly('/kept')).toBe('yes');
    } finally {
      await registry.close();
      await own.close();
    }
    expect(existsSync(own.dataDir)).toBe(false);
  });

  it('keeps a data directory it was given after close()', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'elastic-job-given-')), 'zk');
    const own = await ZooKeeperTestingServer.start({ dataDir });
    try {
      expect((await own.mntr()).serverState).toBe('standalone');
    } finally {
      await own.close();
    }
    expect(existsSync(join(dataDir, 'version-2'))).toBe(true);
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('does not outlive a test runner killed with SIGKILL', async () => {
    const runner = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { ZooKeeperTestingServer } from 'nestjs-elastic-job/testing';\n" +
          'const server = await ZooKeeperTestingServer.start();\n' +
          'console.log(`pid ${server.pid}`);\n' +
          'setInterval(() => undefined, 1_000);\n',
      ],
      { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    runner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const pid = await waitFor('the server started by the runner', () => Number(/pid (\d+)/.exec(output)?.[1]), 90_000);
    // Alive, and not a zombie waiting for a parent that no longer exists to reap it.
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    runner.kill('SIGKILL');
    await waitFor('the server gone with its runner', () => !alive(), 15_000);
  });
});
