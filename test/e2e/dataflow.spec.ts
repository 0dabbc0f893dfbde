import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticDataflowJob } from '../../lib/decorators/elastic-dataflow-job.decorator.js';
import { InvalidJobOptionsError } from '../../lib/errors/invalid-job-options.error.js';
import type { DataflowJob, DataflowJobOptions } from '../../lib/interfaces/dataflow-job.interface.js';
import type { ShardingContext } from '../../lib/interfaces/sharding-context.interface.js';
import { PostgresTestingServer } from '../../lib/testing/index.js';
import type { TestApp } from '../support/nest-apps.js';
import { useZooKeeperServer } from '../support/suite.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

// Dataflow jobs (ElasticJob's DataflowJob) over a real table in a real PostgreSQL: each item
// claims the rows with id % shardingTotalCount = item, marks them done, and counts how many
// times each row was processed, by whom. Instances are Nest apps against a real ZooKeeper.

const zookeeper = useZooKeeperServer();
const { apps, registries } = zookeeper;
let postgres: PostgresTestingServer;
let db: pg.Pool;
const NEVER = '0 0 0 1 1 ? 2099';

beforeAll(async () => {
  postgres = await PostgresTestingServer.start();
  db = new pg.Pool({ connectionString: postgres.connectionString, max: 8 });
  // Idle connections end with the server at the end of the file: nothing to report.
  db.on('error', () => undefined);
}, 120_000);

afterAll(async () => {
  await db?.end();
  await postgres?.stop();
});

/** A fresh table of `rows` rows to process. */
async function table(rows: number): Promise<string> {
  const name = `orders_${Math.random().toString(36).slice(2, 8)}`;
  await db.query(
    `CREATE TABLE ${name} (id int PRIMARY KEY, done boolean NOT NULL DEFAULT false, times int NOT NULL DEFAULT 0, by text[] NOT NULL DEFAULT '{}')`,
  );
  await db.query(`INSERT INTO ${name} (id) SELECT generate_series(1, $1)`, [rows]);
  return name;
}

/** A dataflow job over `name`: batches of `batch`, each taking `pauseMs` to process. */
function orderJob(name: string, options: Partial<DataflowJobOptions>, instance: string, pauseMs = 0, batch = 10) {
  @Injectable()
  @ElasticDataflowJob({ name: 'order-flow', cron: NEVER, shardingTotalCount: 4, ...options })
  class OrderFlow implements DataflowJob<number> {
    async fetchData(context: ShardingContext): Promise<number[]> {
      const { rows } = await db.query(`SELECT id FROM ${name} WHERE NOT done AND id % $1 = $2 ORDER BY id LIMIT $3`, [
        context.shardingTotalCount,
        context.shardingItem,
        batch,
      ]);
      return rows.map((row: { id: number }) => row.id);
    }

    async processData(_context: ShardingContext, ids: number[]): Promise<void> {
      if (pauseMs) await sleep(pauseMs);
      await db.query(`UPDATE ${name} SET done = true, times = times + 1, by = by || $2::text WHERE id = ANY($1)`, [
        ids,
        instance,
      ]);
    }
  }
  return OrderFlow;
}

async function rowsOf(name: string) {
  const { rows } = await db.query(`SELECT id, done, times, by FROM ${name} ORDER BY id`);
  return rows as Array<{ id: number; done: boolean; times: number; by: string[] }>;
}

async function instances(
  namespace: string,
  name: string,
  ids: string[],
  options: Partial<DataflowJobOptions>,
  pauseMs = 0,
) {
  const started: TestApp[] = [];
  for (const id of ids)
    started.push(await apps.create(namespace, [orderJob(name, options, id, pauseMs)], { instanceId: id }));
  return started;
}

describe('dataflow jobs', () => {
  it('streaming: every row processed once across 3 instances, each by the owner of its item', async () => {
    const name = await table(300);
    const namespace = uniqueNamespace('dataflow');
    const ids = ['127.0.0.1@-@flow-a', '127.0.0.1@-@flow-b', '127.0.0.1@-@flow-c'];
    const started = await instances(namespace, name, ids, { streamingProcess: true });
    // Every instance with items: no reshard pending, which would stop streaming at once.
    await waitFor('every instance with items', () => {
      const seen = started[0]!.operator.getInstances('order-flow');
      return seen.length === 3 && seen.every((instance) => instance.items.length > 0);
    });
    const runs = started.map((app) => app.operator.nextRun('order-flow', { source: 'MANUAL', timeoutMs: 30_000 }));
    await started[0]!.operator.trigger('order-flow');
    const results = await Promise.all(runs);
    const rows = await rowsOf(name);
    expect(rows.every((row) => row.done && row.times === 1)).toBe(true);
    // Each row by the instance that owned its item.
    const owners = new Map<number, string>();
    for (const instance of started[0]!.operator.getInstances('order-flow')) {
      for (const item of instance.items) owners.set(item, instance.instanceId);
    }
    for (const row of rows) expect(row.by).toEqual([owners.get(row.id % 4)]);
    // Streaming: each item ran until its fetch brought nothing (75 rows: 8 batches of 10).
    const items = results.flatMap((result) => result.items);
    expect(items).toHaveLength(4);
    for (const item of items) expect(item.result).toEqual({ batches: 8, records: 75, stoppedBy: 'no-data' });
    // The configuration carries ElasticJob's property, as Java writes it.
    const registry = await registries.open({ namespace });
    expect(await registry.getDirectly('/order-flow/config')).toMatch(/props:\n {2}streaming.process: 'true'/);
  });

  it('without streaming: one fetch and one process per item per fire', async () => {
    const name = await table(100);
    const [app] = await instances(uniqueNamespace('dataflow-once'), name, ['127.0.0.1@-@flow-once'], {});
    const run = await app!.operator.triggerAndWait('order-flow');
    expect(run.items.map((item) => item.result)).toEqual(
      [0, 1, 2, 3].map(() => ({ batches: 1, records: 10, stoppedBy: 'one-batch' })),
    );
    const rows = await rowsOf(name);
    expect(rows.filter((row) => row.done)).toHaveLength(40);
    expect(rows.every((row) => row.times <= 1)).toBe(true);
  });

  it('a reshard stops streaming at a batch boundary, and the next fire goes on: nothing lost, nothing twice', async () => {
    // Enough rows that streaming is still under way when the second instance has joined (25 batches of 40 ms an item).
    const name = await table(1_000);
    const namespace = uniqueNamespace('dataflow-reshard');
    const started = await instances(namespace, name, ['127.0.0.1@-@flow-r1'], { streamingProcess: true }, 40);
    const first = started[0]!.operator.triggerAndWait('order-flow', { timeoutMs: 60_000 });
    await waitFor('streaming under way', async () => (await rowsOf(name)).filter((row) => row.done).length >= 40);
    // A second instance joins: a reshard is flagged, and the streaming items stop.
    started.push(...(await instances(namespace, name, ['127.0.0.1@-@flow-r2'], { streamingProcess: true }, 40)));
    const stopped = await first;
    const reasons = stopped.items.map((item) => (item.result as { stoppedBy: string }).stoppedBy);
    expect(reasons.some((reason) => reason === 'resharding')).toBe(true);
    const left = (await rowsOf(name)).filter((row) => !row.done).length;
    expect(left).toBeGreaterThan(0);
    // Fires until done, on both instances, with the new assignment.
    await waitFor(
      'every row done',
      async () => {
        const runs = started.map((app) => app.operator.nextRun('order-flow', { source: 'MANUAL', timeoutMs: 30_000 }));
        await started[1]!.operator.trigger('order-flow');
        await Promise.all(runs);
        return (await rowsOf(name)).every((row) => row.done);
      },
      90_000,
      0,
    );
    const rows = await rowsOf(name);
    expect(rows.filter((row) => row.times !== 1)).toEqual([]);
  });

  it('app.close() stops streaming after the batch at hand: what it fetched is processed, the rest is left for the others', async () => {
    const name = await table(400);
    const namespace = uniqueNamespace('dataflow-close');
    const started = await instances(
      namespace,
      name,
      ['127.0.0.1@-@flow-c1', '127.0.0.1@-@flow-c2'],
      { streamingProcess: true },
      40,
    );
    await waitFor(
      'both instances with items',
      () =>
        started[0]!.operator.getInstances('order-flow').every((instance) => instance.items.length === 2) &&
        started[0]!.operator.getInstances('order-flow').length === 2,
    );
    const closing = started[0]!;
    const survivor = started[1]!;
    const run = closing.operator.nextRun('order-flow', { source: 'MANUAL', timeoutMs: 30_000 });
    await survivor.operator.trigger('order-flow');
    await waitFor('streaming under way on the closing one', async () =>
      (await rowsOf(name)).some((row) => row.by.includes(closing.instanceId)),
    );
    await closing.app.close();
    const result = await run;
    // Stopped at a batch boundary: the leave flags a reshard first, then the timers stop.
    for (const item of result.items) {
      expect(['resharding', 'stopping']).toContain((item.result as { stoppedBy: string }).stoppedBy);
    }
    // The survivor takes every item and finishes the table.
    await waitFor(
      'every row done by the survivor',
      async () => {
        const next = survivor.operator.nextRun('order-flow', { source: 'MANUAL', timeoutMs: 30_000 });
        await survivor.operator.trigger('order-flow');
        await next;
        return (await rowsOf(name)).every((row) => row.done);
      },
      90_000,
      0,
    );
    expect((await rowsOf(name)).filter((row) => row.times !== 1)).toEqual([]);
  });

  it('refuses a class without fetchData or processData, and a streamingProcess that is not a boolean', async () => {
    @Injectable()
    @ElasticDataflowJob({ name: 'half', cron: NEVER, shardingTotalCount: 1, streamingProcess: 'yes' as never })
    class Half {
      fetchData() {
        return [];
      }
    }
    const app = await apps.create(uniqueNamespace('dataflow-bad'), [Half], {}, false);
    const failed = await app.app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(InvalidJobOptionsError);
    expect(String(failed)).toMatch(/streamingProcess "yes" must be true or false/);
    expect(String(failed)).toMatch(/Half is an @ElasticDataflowJob\(\) without a processData method/);
  });
});
