import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ELASTIC_JOB_REGISTRY_CENTER } from '../../lib/elastic-job.constants.js';
import type { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import { expireSession, PostgresTestingServer } from '../../lib/testing/index.js';
import { ExecutionHistory } from '../../lib/tracing/execution-history.js';
import { ExecutionLog } from '../../lib/tracing/execution-log.js';
import { ExecutionLogUnavailableError } from '../../lib/errors/execution-log-unavailable.error.js';
import { InvalidHistoryQueryError } from '../../lib/errors/invalid-history-query.error.js';
import { InvalidModuleOptionsError } from '../../lib/errors/invalid-module-options.error.js';
import { jobClass } from '../support/nest-apps.js';
import { useZooKeeperServer } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

// The execution log against a real PostgreSQL (and a real ZooKeeper): ElasticJob's tables,
// written from what ran; judged by reading the tables back.

const zookeeper = useZooKeeperServer();
const { apps } = zookeeper;
let postgres: PostgresTestingServer;
let db: pg.Pool;

beforeAll(async () => {
  postgres = await PostgresTestingServer.start();
  db = new pg.Pool({ connectionString: postgres.connectionString, max: 2 });
  db.on('error', () => undefined);
}, 120_000);
afterEach(async () => {
  if (!postgres.isRunning) await postgres.startProcess();
  await apps.closeAll();
  await db.query(
    'DROP TABLE IF EXISTS JOB_EXECUTION_LOG, JOB_STATUS_TRACE_LOG, java_ddl.JOB_EXECUTION_LOG, java_ddl.JOB_STATUS_TRACE_LOG',
  );
});
afterAll(async () => {
  await db?.end();
  await postgres?.close();
});

interface ExecutionRowRead {
  id: string;
  job_name: string;
  task_id: string;
  ip: string;
  hostname: string;
  sharding_item: number;
  execution_source: string;
  is_success: boolean;
  failure_cause: string | null;
  start_time: Date | null;
  complete_time: Date | null;
}

async function executionRows(job: string): Promise<ExecutionRowRead[]> {
  const result = await db.query<ExecutionRowRead>('SELECT * FROM JOB_EXECUTION_LOG WHERE job_name = $1', [job]);
  return result.rows;
}

const tracing = (extra: object = {}) => ({
  type: 'RDB' as const,
  dataSource: postgres.connectionString,
  flushIntervalMs: 50,
  ...extra,
});

/** An instance of the task id: `{job}@-@{items}@-@READY@-@{instanceId}`. */
const instanceOf = (taskId: string) => taskId.split('@-@').slice(3).join('@-@');

describe('the execution log in PostgreSQL', () => {
  it('creates ElasticJob’s tables, column for column as its PostgreSQL DDL, and its index', async () => {
    const Job = jobClass({ name: 'schema', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 1 }, () => undefined);
    await apps.create(uniqueNamespace('log'), [Job], { tracing: tracing() });
    await waitFor(
      'the tables',
      async () => (await db.query("SELECT to_regclass('job_status_trace_log') AS t")).rows[0].t,
      20_000,
    );
    // ElasticJob's own DDL for PostgreSQL, run in a schema of its own, to compare with.
    await db.query(`CREATE SCHEMA IF NOT EXISTS java_ddl;
      CREATE TABLE java_ddl.JOB_EXECUTION_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, task_id VARCHAR(255) NOT NULL, hostname VARCHAR(255) NOT NULL, ip VARCHAR(50) NOT NULL, sharding_item INT NOT NULL, execution_source VARCHAR(20) NOT NULL, failure_cause VARCHAR(4000) NULL, is_success BOOLEAN NOT NULL, start_time TIMESTAMP NULL, complete_time TIMESTAMP NULL, PRIMARY KEY (id));
      CREATE TABLE java_ddl.JOB_STATUS_TRACE_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, original_task_id VARCHAR(255) NOT NULL, task_id VARCHAR(255) NOT NULL, slave_id VARCHAR(50) NOT NULL, execution_type VARCHAR(20) NOT NULL, sharding_item VARCHAR(100) NOT NULL, state VARCHAR(20) NOT NULL, message VARCHAR(4000) NULL, creation_time TIMESTAMP NULL, PRIMARY KEY (id));`);
    const columns = async (schema: string) =>
      (
        await db.query(
          `SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable
             FROM information_schema.columns WHERE table_schema = $1
              AND table_name IN ('job_execution_log', 'job_status_trace_log')
            ORDER BY table_name, ordinal_position`,
          [schema],
        )
      ).rows;
    const ours = await columns('public');
    expect(ours.length).toBe(21);
    expect(ours).toEqual(await columns('java_ddl'));
    const indexes = await db.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'job_status_trace_log'");
    expect(indexes.rows.map((row) => row.indexdef)).toContain(
      'CREATE INDEX task_id_state_index ON public.job_status_trace_log USING btree (task_id, state)',
    );
  });

  it('3 instances: a row per item of every fire, with the instance that ran it, and the task’s status rows', async () => {
    const namespace = uniqueNamespace('log');
    const ran: Array<{ instance: string; item: number; fireTime: number }> = [];
    const ids = ['10.1.0.1@-@1', '10.1.0.2@-@2', '10.1.0.3@-@3'];
    for (const id of ids) {
      const Job = jobClass({ name: 'logged', cron: '* * * * * ?', shardingTotalCount: 6 }, (context) => {
        ran.push({ instance: id, item: context.shardingItem, fireTime: context.fireTime.getTime() });
      });
      await apps.create(namespace, [Job], { instanceId: id, serverIp: id.split('@')[0], tracing: tracing() });
    }
    await waitFor(
      'fires with every instance in them',
      () => new Set(ran.slice(-6).map((r) => r.instance)).size === 3,
      30_000,
    );
    await waitFor('at least 30 runs', () => ran.length >= 30, 30_000);
    await apps.closeAll();
    const rows = await executionRows('logged');
    // Every run, once; nothing that did not run.
    expect(rows.length).toBe(ran.length);
    for (const row of rows) {
      const instance = instanceOf(row.task_id);
      expect(ids).toContain(instance);
      expect(row.ip).toBe(instance.split('@')[0]);
      expect(row.execution_source).toBe('NORMAL_TRIGGER');
      expect(row.is_success).toBe(true);
      expect(row.complete_time!.getTime()).toBeGreaterThanOrEqual(row.start_time!.getTime());
    }
    const count = (list: Array<{ instance: string; item: number }>) => {
      const counts = new Map<string, number>();
      for (const { instance, item } of list)
        counts.set(`${instance}/${item}`, (counts.get(`${instance}/${item}`) ?? 0) + 1);
      return Object.fromEntries([...counts].sort());
    };
    expect(count(rows.map((row) => ({ instance: instanceOf(row.task_id), item: row.sharding_item })))).toEqual(
      count(ran),
    );
    // Each task that ran items: STAGING, RUNNING, FINISHED, in that order.
    const statuses = await db.query(
      "SELECT task_id, state, message, slave_id, execution_type FROM JOB_STATUS_TRACE_LOG WHERE job_name = 'logged' ORDER BY creation_time, CASE state WHEN 'TASK_STAGING' THEN 0 WHEN 'TASK_RUNNING' THEN 1 ELSE 2 END",
    );
    const byTask = new Map<string, string[]>();
    for (const row of statuses.rows) byTask.set(row.task_id, [...(byTask.get(row.task_id) ?? []), row.state]);
    // (A task id is the same at every fire of the same items on the same instance.)
    for (const taskId of new Set(rows.map((row) => row.task_id))) {
      expect(byTask.get(taskId)!.join(',')).toMatch(/^(TASK_STAGING,TASK_RUNNING,TASK_FINISHED,?)+$/);
    }
    expect(statuses.rows.find((row) => row.state === 'TASK_STAGING')!.message).toBe("Job 'logged' execute begin.");
    expect(new Set(statuses.rows.map((row) => row.execution_type))).toEqual(new Set(['READY']));
  }, 90_000);

  it('a failed item keeps its cause; the task is TASK_ERROR; the history finds it', async () => {
    const Job = jobClass({ name: 'failing', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 2 }, (context) => {
      if (context.shardingItem === 1) throw new Error('the ledger is locked');
    });
    const { app, operator } = await apps.create(uniqueNamespace('log'), [Job], { tracing: tracing() });
    await operator.triggerAndWait('failing', { timeoutMs: 20_000 });
    const history = app.get(ExecutionHistory);
    const failed = await waitFor(
      'the failed row completed',
      async () => (await history.executions({ jobName: 'failing', outcome: 'failed' })).rows[0],
      20_000,
    );
    expect(failed).toMatchObject({ item: 1, source: 'NORMAL_TRIGGER', outcome: 'failed' });
    expect(failed.failureCause).toMatch(/^Error: the ledger is locked\n\s+at /);
    const trace = await waitFor(
      'the task finished',
      async () => {
        const rows = await history.statusTrace(failed.taskId);
        return rows.some((row) => row.state === 'TASK_ERROR') ? rows : undefined;
      },
      20_000,
    );
    expect(trace.map((row) => row.state)).toEqual(['TASK_STAGING', 'TASK_RUNNING', 'TASK_ERROR']);
    expect(trace[2]!.message).toMatch(/^\{1=Error: the ledger is locked/);
    expect(trace[0]!.shardingItems).toBe('[0, 1]');
    const succeeded = await history.executions({ jobName: 'failing', outcome: 'succeeded' });
    expect(succeeded.rows.map((row) => row.item)).toEqual([0]);
    const [stats] = await history.statistics({ jobName: 'failing' });
    expect(stats).toMatchObject({ jobName: 'failing', runs: 2, failures: 1, successRate: 0.5, running: 0 });
    expect(stats!.durationMs!.p99).toBeGreaterThanOrEqual(0);
  });

  it('a failover is written by the survivor with source FAILOVER', async () => {
    const namespace = uniqueNamespace('log');
    const starts: Array<{ instance: string; item: number; source: string }> = [];
    const start = (id: string) => {
      const Job = jobClass(
        { name: 'handover', cron: '0/5 * * * * ?', shardingTotalCount: 2, failover: true },
        async (context) => {
          starts.push({ instance: id, item: context.shardingItem, source: context.executionSource });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 3_000);
            context.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        },
      );
      return apps.create(namespace, [Job], { instanceId: id, tracing: tracing() });
    };
    const a = await start('10.2.0.1@-@1');
    await start('10.2.0.2@-@2');
    const mine = await waitFor(
      'both instances in an item',
      () => {
        const recent = starts.slice(-2);
        return recent.length === 2 && recent[0]!.instance !== recent[1]!.instance
          ? recent.find((s) => s.instance === '10.2.0.1@-@1')
          : undefined;
      },
      30_000,
      20,
    );
    const registry = a.app.get<ZookeeperRegistryCenter>(ELASTIC_JOB_REGISTRY_CENTER);
    await expireSession(zookeeper.server().connectString, registry.sessionCredentials!);
    await waitFor(
      'the survivor runs the item as FAILOVER',
      () => starts.some((s) => s.instance === '10.2.0.2@-@2' && s.source === 'FAILOVER' && s.item === mine.item),
      30_000,
    );
    const row = await waitFor(
      'its row',
      async () =>
        (await executionRows('handover')).find(
          (r) => r.execution_source === 'FAILOVER' && r.sharding_item === mine.item,
        ),
      30_000,
    );
    expect(instanceOf(row.task_id)).toBe('10.2.0.2@-@2');
    // The run the failover replaced was aborted: written as failed, with why.
    const aborted = await waitFor(
      'the aborted run',
      async () =>
        (await executionRows('handover')).find(
          (r) => instanceOf(r.task_id) === '10.2.0.1@-@1' && r.complete_time && !r.is_success,
        ),
      30_000,
    );
    expect(aborted.failure_cause).toMatch(/lost its ZooKeeper session/);
  }, 90_000);

  it('the database stopped mid-run: jobs keep firing, drops are counted, rows resume after the restart', async () => {
    let runs = 0;
    const Job = jobClass({ name: 'steady', cron: '* * * * * ?', shardingTotalCount: 4 }, () => {
      runs += 1;
    });
    const { app } = await apps.create(uniqueNamespace('log'), [Job], {
      tracing: tracing({ maxQueuedRows: 20 }),
    });
    const log = app.get(ExecutionLog);
    await waitFor('rows written', () => (log.counters?.written ?? 0) > 10, 20_000);
    await postgres.stop();
    const runsAtStop = runs;
    await waitFor('rows dropped for want of room', () => (log.counters?.dropped ?? 0) > 0, 30_000);
    await waitFor('jobs still firing', () => runs >= runsAtStop + 20, 30_000);
    const writtenBefore = log.counters!.written;
    await postgres.startProcess();
    const restartedAt = new Date();
    await waitFor('rows written again', () => log.counters!.written > writtenBefore + 20, 30_000);
    const after = await db.query(
      'SELECT count(*)::int AS n FROM JOB_EXECUTION_LOG WHERE job_name = $1 AND start_time >= $2',
      ['steady', restartedAt],
    );
    expect(after.rows[0].n).toBeGreaterThan(0);
    expect(log.counters!.failedWrites).toBeGreaterThan(0);
  }, 90_000);

  it('a write that failed is tried again by itself, with no new event to prompt it', async () => {
    const Job = jobClass({ name: 'once', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 2 }, () => undefined);
    const { app, operator } = await apps.create(uniqueNamespace('log'), [Job], { tracing: tracing() });
    const log = app.get(ExecutionLog);
    await waitFor(
      'the tables',
      async () => (await db.query("SELECT to_regclass('job_execution_log') AS t")).rows[0].t,
      20_000,
    );
    await postgres.stop();
    await operator.triggerAndWait('once', { timeoutMs: 20_000 });
    await waitFor('a failed write', () => (log.counters?.failedWrites ?? 0) > 0, 20_000);
    await postgres.startProcess();
    // Nothing fires any more: only the writer's own retry can write the rows.
    const rows = await waitFor(
      'the rows',
      async () => {
        const found = await executionRows('once');
        return found.filter((row) => row.is_success).length === 2 ? found : undefined;
      },
      30_000,
    );
    expect(rows.map((row) => row.sharding_item).sort()).toEqual([0, 1]);
  }, 60_000);

  it('writes into tables that exist already, with a role that may write them and create nothing', async () => {
    // As a DBA (or a Java instance under another user) left them; PostgreSQL 15 lets no other
    // role create anything in the public schema.
    await db.query(`CREATE TABLE JOB_EXECUTION_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, task_id VARCHAR(255) NOT NULL, hostname VARCHAR(255) NOT NULL, ip VARCHAR(50) NOT NULL, sharding_item INT NOT NULL, execution_source VARCHAR(20) NOT NULL, failure_cause VARCHAR(4000) NULL, is_success BOOLEAN NOT NULL, start_time TIMESTAMP NULL, complete_time TIMESTAMP NULL, PRIMARY KEY (id));
      CREATE TABLE JOB_STATUS_TRACE_LOG (id VARCHAR(40) NOT NULL, job_name VARCHAR(100) NOT NULL, original_task_id VARCHAR(255) NOT NULL, task_id VARCHAR(255) NOT NULL, slave_id VARCHAR(50) NOT NULL, execution_type VARCHAR(20) NOT NULL, sharding_item VARCHAR(100) NOT NULL, state VARCHAR(20) NOT NULL, message VARCHAR(4000) NULL, creation_time TIMESTAMP NULL, PRIMARY KEY (id));
      DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'job_writer') THEN CREATE ROLE job_writer LOGIN; END IF; END $$;
      GRANT SELECT, INSERT, UPDATE, DELETE ON JOB_EXECUTION_LOG, JOB_STATUS_TRACE_LOG TO job_writer;`);
    const Job = jobClass({ name: 'granted', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 2 }, () => undefined);
    const url = postgres.connectionString.replace('postgres@', 'job_writer@');
    const { operator } = await apps.create(uniqueNamespace('log'), [Job], { tracing: tracing({ dataSource: url }) });
    await operator.triggerAndWait('granted', { timeoutMs: 20_000 });
    await waitFor(
      'the rows',
      async () => (await executionRows('granted')).filter((row) => row.is_success).length === 2,
      20_000,
    );
  });

  it('app.close() writes what it holds', async () => {
    const Job = jobClass({ name: 'closing', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 3 }, () => undefined);
    // A long flush interval: the rows are still queued when the app closes.
    const { operator } = await apps.create(uniqueNamespace('log'), [Job], {
      tracing: tracing({ flushIntervalMs: 60_000 }),
    });
    await operator.triggerAndWait('closing', { timeoutMs: 20_000 });
    await apps.closeAll();
    const rows = await executionRows('closing');
    expect(rows.map((row) => [row.sharding_item, row.is_success]).sort()).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
  });

  it('retention deletes old rows in batches and keeps recent ones', async () => {
    const Job = jobClass({ name: 'kept', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 1 }, () => undefined);
    const { app, operator } = await apps.create(uniqueNamespace('log'), [Job], {
      tracing: tracing({ retentionDays: 7 }),
    });
    await operator.triggerAndWait('kept', { timeoutMs: 20_000 });
    const history = app.get(ExecutionHistory);
    await waitFor(
      'the recent row',
      async () => (await history.executions({ jobName: 'kept', outcome: 'succeeded' })).total === 1,
      20_000,
    );
    await db.query(`INSERT INTO JOB_EXECUTION_LOG (id, job_name, task_id, hostname, ip, sharding_item, execution_source, is_success, start_time, complete_time)
      SELECT 'old-' || n, 'kept', 't', 'h', 'i', 0, 'NORMAL_TRIGGER', true, now() - interval '8 days', now() - interval '8 days'
        FROM generate_series(1, 2500) AS n`);
    const deleted = await app.get(ExecutionLog).purgeExpired();
    expect(deleted).toBeGreaterThanOrEqual(2500);
    const rows = await executionRows('kept');
    expect(rows.map((row) => row.id.startsWith('old-'))).toEqual([false]);
  });

  it('the history pages, filters by instance, and refuses bad queries with what is allowed', async () => {
    const Job = jobClass({ name: 'paged', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 5 }, () => undefined);
    const { app, operator, instanceId } = await apps.create(uniqueNamespace('log'), [Job], { tracing: tracing() });
    await operator.triggerAndWait('paged', { timeoutMs: 20_000 });
    const history = app.get(ExecutionHistory);
    await waitFor(
      '5 rows',
      async () => (await history.executions({ jobName: 'paged', outcome: 'succeeded' })).total === 5,
      20_000,
    );
    const first = await history.executions({ jobName: 'paged', limit: 2 });
    const second = await history.executions({ jobName: 'paged', limit: 2, offset: 2 });
    expect(first.total).toBe(5);
    expect(first.rows.length).toBe(2);
    expect(new Set([...first.rows, ...second.rows].map((row) => row.id)).size).toBe(4);
    expect((await history.executions({ jobName: 'paged', instanceId })).total).toBe(5);
    expect((await history.executions({ jobName: 'paged', instanceId: 'someone@-@else' })).total).toBe(0);
    expect((await history.executions({ jobName: 'paged', item: 3 })).rows.map((row) => row.item)).toEqual([3]);
    await expect(history.executions({ limit: 0 })).rejects.toThrow(InvalidHistoryQueryError);
    await expect(history.executions({ outcome: 'lost' as never })).rejects.toThrow(/succeeded, failed, running/);
    await expect(history.executions({ jobname: 'paged' } as never)).rejects.toThrow(/did you mean "jobName"/);
  });

  it('without tracing the history says what to configure; bad tracing options fail app.init()', async () => {
    const Job = jobClass({ name: 'plain', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 1 }, () => undefined);
    const { app } = await apps.create(uniqueNamespace('log'), [Job]);
    await expect(app.get(ExecutionHistory).executions()).rejects.toThrow(ExecutionLogUnavailableError);
    await expect(app.get(ExecutionHistory).executions()).rejects.toThrow(/tracing: \{ type: "RDB", dataSource \}/);
    const bad = [
      [{ type: 'MYSQL', dataSource: postgres.connectionString }, /tracing.type "MYSQL": the only type is "RDB"/],
      [{ type: 'RDB', dataSource: 'mysql://x' }, /a connection string starts with postgres:\/\//],
      [{ type: 'RDB', dataSource: postgres.connectionString, retentionDay: 3 }, /did you mean "retentionDays"/],
      [
        { type: 'RDB', dataSource: postgres.connectionString, batchSize: 0 },
        /tracing.batchSize 0: an integer from 1 to 5000/,
      ],
    ] as const;
    for (const [options, message] of bad) {
      const failure = await apps.create(uniqueNamespace('log'), [Job], { tracing: options as never }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(InvalidModuleOptionsError);
      expect(String(failure)).toMatch(message);
    }
  });
});
