import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_WRITE_HEADER } from '../../lib/console/console-access.guard.js';
import type { ShardingContext } from '../../lib/interfaces/sharding-context.interface.js';
import type { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import { ensureBuilt } from '../support/child-instances.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { AppFixture } from '../support/nest-apps.js';
import { RegistryFixture } from '../support/registry.js';
import { ZooKeeperTestingServer } from '../../lib/testing/index.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

// The console on its own (`nestjs-elastic-job console`, the built CLI in a child process) over
// a namespace shared by two instances of a Nest app and a Java ElasticJob job (its nodes
// written as ElasticJob 3.0.4 writes them, on a ZooKeeper session of its own).

const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');
const ADMIN = { name: 'ops', password: 'correct horse battery' };
const GUEST = { name: 'viewer', password: 'just looking here' };
const basic = (user: { name: string; password: string }) =>
  `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`;

const JAVA_JOB = 'java-report';
const JAVA_ID = '127.0.0.9@-@4242';
/** A `config` node as ElasticJob 3.0.4's YamlEngine writes it (keys it has and we do not model included). */
const JAVA_CONFIG = [
  'cron: 0 0 2 * * ?',
  'description: nightly report',
  'disabled: false',
  'failover: true',
  'jobErrorHandlerType: LOG',
  'jobExecutorServiceHandlerType: CPU',
  'jobName: java-report',
  "jobParameter: ''",
  'maxTimeDiffSeconds: -1',
  'misfire: true',
  'monitorExecution: true',
  'overwrite: true',
  'reconcileIntervalMinutes: 10',
  'shardingItemParameters: 0=north,1=south',
  'shardingTotalCount: 2',
  'staticSharding: false',
  'timeZone: GMT+08:00',
  '',
].join('\n');

let server: ZooKeeperTestingServer;
let apps: AppFixture;
let registries: RegistryFixture;
let java: ZookeeperRegistryCenter;
let ours: TestApp[];
let cli: ChildProcess;
let base: string;
const namespace = uniqueNamespace('standalone');
/** Every run of `orders`: instance, item, start time. */
const runs: Array<{ instance: string; item: number; at: number; fireTime: number }> = [];

async function call(method: string, path: string, user = ADMIN, body?: unknown, header = method !== 'GET') {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: basic(user),
      ...(header ? { [CONSOLE_WRITE_HEADER]: '1' } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Runs the CLI; resolves with its exit code and output once it ends. */
function runCli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** The Java instance: its nodes as ElasticJob writes them, ephemeral ones on its session. */
async function startJavaJob(): Promise<void> {
  java = await registries.open({ namespace });
  await java.persist(`/${JAVA_JOB}`, 'com.example.jobs.NightlyReportJob');
  await java.persist(`/${JAVA_JOB}/config`, JAVA_CONFIG);
  await java.persist(`/${JAVA_JOB}/servers/127.0.0.9`, 'ENABLED');
  await java.persistEphemeral(`/${JAVA_JOB}/instances/${JAVA_ID}`, `jobInstanceId: ${JAVA_ID}\nserverIp: 127.0.0.9\n`);
  await java.persistEphemeral(`/${JAVA_JOB}/leader/election/instance`, JAVA_ID);
  await java.persist(`/${JAVA_JOB}/sharding/0/instance`, JAVA_ID);
  await java.persist(`/${JAVA_JOB}/sharding/1/instance`, JAVA_ID);
  await java.persist(`/${JAVA_JOB}/sharding/1/running`, JAVA_ID);
}

beforeAll(async () => {
  ensureBuilt();
  server = await ZooKeeperTestingServer.start();
  apps = new AppFixture(() => server.connectString);
  registries = new RegistryFixture(() => server.connectString);
  await startJavaJob();
  ours = [];
  for (const suffix of ['a', 'b']) {
    const instanceId = `127.0.0.1@-@standalone-${suffix}`;
    const Job = jobClass({ name: 'orders', cron: '* * * * * ?', shardingTotalCount: 3 }, (context: ShardingContext) => {
      runs.push({
        instance: instanceId,
        item: context.shardingItem,
        at: Date.now(),
        fireTime: context.fireTime.getTime(),
      });
    });
    ours.push(await apps.create(namespace, [Job], { instanceId }));
  }
  cli = spawn(
    process.execPath,
    [CLI, 'console', '--zookeeper', server.connectString, '--namespace', namespace, '--port', '0'],
    {
      env: {
        ...process.env,
        ELASTIC_JOB_CONSOLE_ADMIN: `${ADMIN.name}:${ADMIN.password}`,
        ELASTIC_JOB_CONSOLE_GUEST: `${GUEST.name}:${GUEST.password}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: cli.stdout! });
  base = await new Promise<string>((found, failed) => {
    lines.on('line', (line) => {
      const url = /console for namespace "[^"]+": (http\S+)/.exec(line)?.[1];
      if (url) found(`${url}/api`);
    });
    cli.on('exit', (code) => failed(new Error(`the console exited (${code}) before it listened`)));
  });
  await waitFor('both our instances seen with every item', async () => {
    const jobs = (await call('GET', '/jobs', GUEST)).body as Array<{
      jobName: string;
      status: string;
      instanceCount: number;
    }>;
    return jobs?.find((job) => job.jobName === 'orders' && job.status === 'OK' && job.instanceCount === 2);
  });
}, 120_000);

afterAll(async () => {
  if (cli && cli.exitCode === null) {
    const exited = new Promise((done) => cli.on('exit', done));
    cli.kill('SIGTERM');
    await exited;
  }
  await apps?.closeAll();
  await registries?.closeAll();
  await server?.close();
});

describe('the console on its own, for any namespace', () => {
  it('lists every job of the namespace, a Java one included, with its next fires in its own zone', async () => {
    expect((await call('GET', '/jobs', { name: GUEST.name, password: 'not the password' })).status).toBe(401);
    const me = await call('GET', '/me', GUEST);
    expect(me.body).toEqual({ name: GUEST.name, role: 'guest', namespace, history: false, localJobs: [] });
    const jobs = (await call('GET', '/jobs', GUEST)).body;
    expect(jobs.map((job: { jobName: string }) => job.jobName)).toEqual([JAVA_JOB, 'orders']);
    const [report, orders] = jobs;
    expect(report).toMatchObject({
      jobName: JAVA_JOB,
      status: 'OK',
      cron: '0 0 2 * * ?',
      timeZone: 'GMT+08:00',
      shardingTotalCount: 2,
      instanceCount: 1,
      leader: JAVA_ID,
      jobClass: 'com.example.jobs.NightlyReportJob',
      description: 'nightly report',
    });
    // A configuration that runs as written has no problem to tell.
    expect(report).not.toHaveProperty('problem');
    // 02:00 at GMT+8 is 18:00 UTC, every day.
    expect(report.nextFireTimes).toHaveLength(3);
    for (const fire of report.nextFireTimes) {
      expect(fire.local).toMatch(/^\d{4}-\d{2}-\d{2} 02:00:00$/);
      expect(fire.time).toMatch(/T18:00:00\.000Z$/);
    }
    expect(orders).toMatchObject({ status: 'OK', instanceCount: 2, shardingTotalCount: 3 });
    expect(ours.map((app) => app.instanceId)).toContain(orders.leader);
  });

  it("shows the Java job's items, instances and servers", async () => {
    const job = (await call('GET', `/jobs/${JAVA_JOB}`, GUEST)).body;
    expect(job.items).toEqual([
      { item: 0, serverIp: '127.0.0.9', instanceId: JAVA_ID, status: 'PENDING', failover: false },
      { item: 1, serverIp: '127.0.0.9', instanceId: JAVA_ID, status: 'RUNNING', failover: false },
    ]);
    expect(job.instances).toEqual([
      { instanceId: JAVA_ID, serverIp: '127.0.0.9', leader: true, serverEnabled: true, items: [0, 1] },
    ]);
    expect(job.servers).toEqual([{ serverIp: '127.0.0.9', enabled: true, instances: [JAVA_ID] }]);
    expect(job.configuration).toMatchObject({ shardingItemParameters: '0=north,1=south', failover: true });
    expect((await call('GET', '/servers', GUEST)).body).toEqual([
      {
        serverIp: '127.0.0.1',
        instances: ['127.0.0.1@-@standalone-a', '127.0.0.1@-@standalone-b'],
        jobs: ['orders'],
        disabledJobs: [],
      },
      { serverIp: '127.0.0.9', instances: [JAVA_ID], jobs: [JAVA_JOB], disabledJobs: [] },
    ]);
    const unknown = await call('GET', '/jobs/nope', GUEST);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe(
      `No job named "nope" in namespace "${namespace}". Known jobs: "${JAVA_JOB}", "orders".`,
    );
  });

  it("operates the Java job through ElasticJob's own nodes, refusing bad input with nothing written", async () => {
    const config = () => java.getDirectly(`/${JAVA_JOB}/config`);
    // Refused: nothing written.
    for (const [body, pattern] of [
      [{ cron: 'every day' }, /cron/],
      [{ shardingTotalCount: 0 }, /shardingTotalCount/],
      [{ shardingTotalCont: 3 }, /did you mean "shardingTotalCount"/],
    ] as const) {
      const refused = await call('PATCH', `/jobs/${JAVA_JOB}/configuration`, ADMIN, body);
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(pattern);
    }
    expect(await config()).toBe(JAVA_CONFIG);
    expect((await call('PATCH', `/jobs/${JAVA_JOB}/configuration`, GUEST, { cron: '0 0 3 * * ?' })).status).toBe(403);
    expect((await call('PATCH', `/jobs/${JAVA_JOB}/configuration`, ADMIN, { cron: '0 0 3 * * ?' }, false)).status).toBe(
      403,
    );
    expect(await config()).toBe(JAVA_CONFIG);
    // Taken: the keys Java has and we do not model stay as they were.
    const changed = await call('PATCH', `/jobs/${JAVA_JOB}/configuration`, ADMIN, { cron: '0 0 3 * * ?' });
    expect(changed.status).toBe(200);
    const written = (await config())!;
    expect(written).toContain('cron: 0 0 3 * * ?');
    expect(written).toContain('jobExecutorServiceHandlerType: CPU');
    expect(written).toContain('timeZone: GMT+08:00');
    expect((await call('GET', '/jobs', GUEST)).body[0].nextFireTimes[0].local).toMatch(/ 03:00:00$/);

    expect((await call('POST', `/jobs/${JAVA_JOB}/items/2/disable`)).status).toBe(400);
    expect(await java.isExisted(`/${JAVA_JOB}/sharding/2`)).toBe(false);
    expect((await call('POST', `/jobs/${JAVA_JOB}/items/0/disable`)).status).toBe(204);
    expect(await java.isExisted(`/${JAVA_JOB}/sharding/0/disabled`)).toBe(true);
    expect((await call('GET', `/jobs/${JAVA_JOB}`, GUEST)).body.items[0].status).toBe('DISABLED');
    expect((await call('POST', `/jobs/${JAVA_JOB}/items/0/enable`)).status).toBe(204);
    expect(await java.isExisted(`/${JAVA_JOB}/sharding/0/disabled`)).toBe(false);

    expect((await call('POST', `/jobs/${JAVA_JOB}/servers/10.9.9.9/disable`)).status).toBe(400);
    expect(await java.isExisted(`/${JAVA_JOB}/servers/10.9.9.9`)).toBe(false);
    expect((await call('POST', `/jobs/${JAVA_JOB}/servers/127.0.0.9/disable`)).status).toBe(204);
    expect(await java.getDirectly(`/${JAVA_JOB}/servers/127.0.0.9`)).toBe('DISABLED');
    expect((await call('POST', `/jobs/${JAVA_JOB}/servers/127.0.0.9/enable`)).status).toBe(204);
    expect(await java.getDirectly(`/${JAVA_JOB}/servers/127.0.0.9`)).toBe('ENABLED');

    // ElasticJob's trigger: one `trigger/{id}` node per live instance, which that instance
    // consumes; offered for a job waiting for sharding too (an item's owner gone).
    await java.persist(`/${JAVA_JOB}/sharding/0/instance`, '127.0.0.9@-@1');
    await waitFor('the Java job waiting for sharding', async () => {
      const jobs = (await call('GET', '/jobs', GUEST)).body as Array<{ jobName: string; status: string }>;
      return jobs.find((job) => job.jobName === JAVA_JOB)?.status === 'SHARDING_FLAG';
    });
    expect((await call('POST', `/jobs/${JAVA_JOB}/trigger`)).status).toBe(202);
    expect(await java.getChildrenKeys(`/${JAVA_JOB}/trigger`)).toEqual([JAVA_ID]);
    expect((await call('POST', `/jobs/nope/trigger`)).status).toBe(404);
  });

  it('shuts our instance down: the job stops there, and the other runs every item from then on', async () => {
    const [a, b] = ours as [TestApp, TestApp];
    const refused = await call('POST', `/jobs/orders/instances/${encodeURIComponent('127.0.0.1@-@nobody')}/shutdown`);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/a live instance of the job/);
    expect(
      (await call('POST', `/jobs/orders/instances/${encodeURIComponent(a.instanceId)}/shutdown`, GUEST)).status,
    ).toBe(403);
    expect((await call('POST', `/jobs/orders/instances/${encodeURIComponent(a.instanceId)}/shutdown`)).status).toBe(
      204,
    );
    // The moment the job stopped on A, as A tells it.
    const stoppedAt = await waitFor('A to stop the job', () => {
      const index = a.logger.lines.findIndex((line) => /was deleted by an operator/.test(line.message));
      return index < 0 ? undefined : a.logger.times[index];
    });
    // B runs all three items of a fire that comes after that.
    await waitFor(
      'a fire with every item on B',
      () => {
        const after = runs.filter((run) => run.at > stoppedAt + 1_500);
        return [0, 1, 2].every((item) => after.some((run) => run.item === item && run.instance === b.instanceId));
      },
      20_000,
    );
    // No fire after the stop runs on A (one its timer had already begun may still start its items).
    expect(runs.filter((run) => run.instance === a.instanceId && run.fireTime > stoppedAt)).toEqual([]);
    const job = (await call('GET', '/jobs/orders', GUEST)).body;
    expect(job.instances).toMatchObject([{ instanceId: b.instanceId, items: [0, 1, 2] }]);
    // Triggered now, it runs on B alone, once per item.
    const before = runs.length;
    expect((await call('POST', '/jobs/orders/trigger')).status).toBe(202);
    await waitFor('the trigger run on B', () =>
      [0, 1, 2].every((item) => runs.slice(before).some((run) => run.item === item && run.instance === b.instanceId)),
    );
    expect(runs.slice(before).filter((run) => run.instance === a.instanceId)).toEqual([]);
  });

  it('removes a job only once no instance of it is alive, and then all of it', async () => {
    const refused = await call('DELETE', `/jobs/${JAVA_JOB}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(JAVA_ID);
    expect(await java.isExisted(`/${JAVA_JOB}/config`)).toBe(true);
    // The Java instance stops: its session and its ephemeral nodes end.
    await java.close();
    await waitFor('the Java job seen without instances', async () => {
      const jobs = (await call('GET', '/jobs', GUEST)).body as Array<{ jobName: string; status: string }>;
      return jobs.find((job) => job.jobName === JAVA_JOB)?.status === 'CRASHED';
    });
    expect((await call('DELETE', `/jobs/${JAVA_JOB}`, GUEST)).status).toBe(403);
    expect((await call('DELETE', `/jobs/${JAVA_JOB}`)).status).toBe(204);
    const check = await registries.open({ namespace });
    expect(await check.isExisted(`/${JAVA_JOB}`)).toBe(false);
    expect((await call('GET', `/jobs/${JAVA_JOB}`, GUEST)).status).toBe(404);
    expect((await call('GET', '/jobs', GUEST)).body.map((job: { jobName: string }) => job.jobName)).toEqual(['orders']);
  });

  it('refuses a bad command line, naming what is wrong', async () => {
    const missing = await runCli(['console', '--zookeeper', server.connectString]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--namespace is required');
    const unknown = await runCli(['console', '--zk', server.connectString, '--namespace', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--zk'/);
    const port = await runCli(['console', '--zookeeper', server.connectString, '--namespace', 'x', '--port', 'http']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port "http" is not a port');
    const user = await runCli(['console', '--zookeeper', server.connectString, '--namespace', 'x'], {
      ELASTIC_JOB_CONSOLE_ADMIN: 'ops:short',
    });
    expect(user.code).toBe(1);
    expect(user.stderr).toMatch(/password must be a string of at least 8 characters/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: nestjs-elastic-job console');
  });
});
