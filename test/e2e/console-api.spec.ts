import { Injectable, Module, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ElasticJobConsoleModule } from '../../lib/console/elastic-job-console.module.js';
import { CONSOLE_WRITE_HEADER } from '../../lib/console/console-access.guard.js';
import type { ElasticJobConsoleOptions } from '../../lib/console/console-options.js';
import { ElasticJobModule } from '../../lib/elastic-job.module.js';
import { InvalidModuleOptionsError } from '../../lib/errors/invalid-module-options.error.js';
import { JobOperator } from '../../lib/job.operator.js';
import { jobClass } from '../support/nest-apps.js';
import { RecordingLogger } from '../support/registry.js';
import { useZooKeeperServer } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

// The console's JSON API in a real Nest HTTP app (Express) against a real ZooKeeper.

const zookeeper = useZooKeeperServer();
const opened: INestApplication[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

const ADMIN = { name: 'ops', password: 'correct horse battery', role: 'admin' as const };
const GUEST = { name: 'viewer', password: 'just looking here', role: 'guest' as const };
const basic = (user: { name: string; password: string }) =>
  `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`;
/** Callers of an app whose own guard admits a team token (see the app-guard test). */
type Caller = { name: string; password: string } | { token: string };
const OPS = { token: 'ops-token' };
const VIEWER = { token: 'viewer-token' };
const credentials = (user: Caller): Record<string, string> =>
  'token' in user ? { 'x-team-token': user.token } : { authorization: basic(user) };

async function consoleApp(
  console: ElasticJobConsoleOptions = { auth: { users: [ADMIN, GUEST] } },
  platform: 'express' | 'fastify' = 'express',
) {
  const runs: number[] = [];
  const Job = jobClass({ name: 'orders', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 3 }, (context) => {
    runs.push(context.shardingItem);
  });
  const moduleRef = await Test.createTestingModule({
    imports: [
      ElasticJobModule.forRoot({
        zookeeper: {
          serverLists: zookeeper.server().connectString,
          namespace: uniqueNamespace('console'),
          sessionTimeoutMs: 4_000,
        },
        instanceId: '127.0.0.1@-@console',
        serverIp: '127.0.0.1',
        logger: new RecordingLogger(),
        shutdownTimeoutMs: 2_000,
      }),
      ElasticJobConsoleModule.forRoot(console),
    ],
    providers: [Job],
  }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  opened.push(app);
  await app.listen(0, '127.0.0.1');
  const base = `${await app.getUrl()}/${console.path ?? 'elastic-job'}/api`.replace('[::1]', '127.0.0.1');
  const call = async (method: string, path: string, user?: Caller, body?: unknown, write = method !== 'GET') => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(user ? credentials(user) : {}),
        ...(write ? { [CONSOLE_WRITE_HEADER]: '1' } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  // Joined, with every item assigned.
  const caller = console.auth && 'guard' in console.auth ? OPS : ADMIN;
  await waitFor(
    'the job assigned',
    async () => (await call('GET', '/jobs', caller)).body?.[0]?.status === 'OK',
    20_000,
  );
  const root = base.slice(0, -'/api'.length);
  return { app, call, runs, operator: app.get(JobOperator), root };
}

describe('the console API', () => {
  it('lists the jobs at a glance and shows one job whole', async () => {
    const { call } = await consoleApp();
    const jobs = await call('GET', '/jobs', GUEST);
    expect(jobs.status).toBe(200);
    expect(jobs.body).toEqual([
      {
        jobName: 'orders',
        description: '',
        cron: '0 0 0 1 1 ? 2099',
        shardingTotalCount: 3,
        instanceCount: 1,
        status: 'OK',
        leader: '127.0.0.1@-@console',
        jobClass: 'TestJob.run',
        // One fire left, in 2099; the default zone is the server's.
        nextFireTimes: [{ time: expect.stringMatching(/^(2098-12-31|2099-01-01)T/), local: '2099-01-01 00:00:00' }],
      },
    ]);
    const job = await call('GET', '/jobs/orders', GUEST);
    expect(job.body.configuration.cron).toBe('0 0 0 1 1 ? 2099');
    expect(job.body.items.map((item: { item: number; status: string }) => [item.item, item.status])).toEqual([
      [0, 'PENDING'],
      [1, 'PENDING'],
      [2, 'PENDING'],
    ]);
    expect(job.body.instances).toMatchObject([{ instanceId: '127.0.0.1@-@console', leader: true, items: [0, 1, 2] }]);
    expect(job.body.servers).toEqual([{ serverIp: '127.0.0.1', enabled: true, instances: ['127.0.0.1@-@console'] }]);
    expect((await call('GET', '/jobs/nope', GUEST)).status).toBe(404);
    expect((await call('GET', '/servers', GUEST)).body).toEqual([
      { serverIp: '127.0.0.1', instances: ['127.0.0.1@-@console'], jobs: ['orders'], disabledJobs: [] },
    ]);
    expect((await call('POST', '/jobs/orders/servers/127.0.0.1/disable', ADMIN)).status).toBe(204);
    expect((await call('GET', '/servers', GUEST)).body).toEqual([
      { serverIp: '127.0.0.1', instances: ['127.0.0.1@-@console'], jobs: [], disabledJobs: ['orders'] },
    ]);
    expect((await call('GET', '/jobs', GUEST)).body[0].status).toBe('DISABLED');
  });

  it('asks who you are, and lets a guest read but not write, even with a forged request', async () => {
    const { call, runs, operator } = await consoleApp();
    const anonymous = await call('GET', '/jobs');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="ElasticJob console"/);
    expect((await call('GET', '/jobs', { name: ADMIN.name, password: 'wrong password' })).status).toBe(401);
    expect((await call('GET', '/jobs', { name: 'nobody', password: ADMIN.password })).status).toBe(401);
    const forged = await call('POST', '/jobs/orders/items/1/disable', GUEST);
    expect(forged.status).toBe(403);
    expect(forged.body.message).toMatch(/only an admin/);
    // An admin's browser on another site's page: no console header, no write.
    const crossSite = await call('POST', '/jobs/orders/items/1/disable', ADMIN, undefined, false);
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.message).toMatch(/x-elastic-job-console/);
    // A write answers once it is seen: had either been taken, the item would be disabled now.
    expect((await operator.getShardingInfo('orders')).map((info) => info.status)).toEqual([
      'PENDING',
      'PENDING',
      'PENDING',
    ]);
    expect((await call('POST', '/jobs/orders/trigger', GUEST)).status).toBe(403);
    expect(runs).toEqual([]);
  });

  it('an admin triggers, disables and enables an item, and edits the configuration, checked as at startup', async () => {
    const { call, runs, operator } = await consoleApp();
    expect((await call('POST', '/jobs/orders/trigger', ADMIN)).status).toBe(202);
    await waitFor('the triggered run', () => runs.length === 3, 20_000);
    // A trigger with its own job parameter; a bad one is refused and triggers nothing.
    const refused = await call('POST', '/jobs/orders/trigger', ADMIN, { jobParameter: 7 });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/jobParameter/);
    const next = operator.nextRun('orders', { source: 'MANUAL' });
    const triggered = await call('POST', '/jobs/orders/trigger', ADMIN, { jobParameter: 'from the console' });
    expect(triggered).toMatchObject({ status: 202, body: { triggered: 'orders', jobParameter: 'from the console' } });
    await next;
    expect(runs).toHaveLength(6);
    expect((await call('POST', '/jobs/orders/items/1/disable', ADMIN)).status).toBe(204);
    expect((await operator.getShardingInfo('orders')).find((info) => info.item === 1)?.status).toBe('DISABLED');
    expect((await call('POST', '/jobs/orders/items/1/enable', ADMIN)).status).toBe(204);
    const edited = await call('PATCH', '/jobs/orders/configuration', ADMIN, { cron: '0 0 1 1 1 ? 2099' });
    expect(edited.status).toBe(200);
    expect(edited.body.cron).toBe('0 0 1 1 1 ? 2099');
    expect(operator.getJobConfiguration('orders').cron).toBe('0 0 1 1 1 ? 2099');
  });

  it('refuses bad input with a 4xx that says what is wrong, and writes nothing', async () => {
    const { call, operator } = await consoleApp();
    const badCron = await call('PATCH', '/jobs/orders/configuration', ADMIN, { cron: '61 * * * * ?' });
    expect(badCron.status).toBe(400);
    expect(badCron.body.message).toMatch(/cron/);
    const unknownKey = await call('PATCH', '/jobs/orders/configuration', ADMIN, { crn: '0 0 1 1 1 ? 2099' });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.message).toMatch(/did you mean "cron"/);
    expect(operator.getJobConfiguration('orders').cron).toBe('0 0 0 1 1 ? 2099');
    const outside = await call('POST', '/jobs/orders/items/3/disable', ADMIN);
    expect(outside.status).toBe(400);
    expect(outside.body.message).toMatch(/an item from 0 to 2/);
    expect((await call('POST', '/jobs/orders/items/x/disable', ADMIN)).status).toBe(400);
    const server = await call('POST', '/jobs/orders/servers/10.9.9.9/disable', ADMIN);
    expect(server.status).toBe(400);
    expect(server.body.message).toMatch(/a server of the job \(127\.0\.0\.1\)/);
    expect((await call('POST', '/jobs/nope/trigger', ADMIN)).status).toBe(404);
    expect((await operator.getShardingInfo('orders')).map((info) => info.status)).toEqual([
      'PENDING',
      'PENDING',
      'PENDING',
    ]);
    const notNumber = await call('GET', '/history/executions?limit=abc', GUEST);
    expect(notNumber.status).toBe(400);
    expect(notNumber.body.message).toBe('Invalid history query field limit "abc": a whole number.');
    const notTime = await call('GET', '/history/statistics?from=yesterday', GUEST);
    expect(notTime.status).toBe(400);
    expect(notTime.body.message).toMatch(/from "yesterday": an ISO 8601 time/);
    // Without an execution log, the history says what to configure.
    const history = await call('GET', '/history/executions?jobName=orders', GUEST);
    expect(history.status).toBe(503);
    expect(history.body.message).toMatch(/tracing: \{ type: "RDB", dataSource \}/);
  });

  it('serves its page behind the same access rule, with a policy that runs only its own script', async () => {
    const { call, root } = await consoleApp();
    expect((await call('GET', '/me', GUEST)).body).toEqual({
      name: 'viewer',
      role: 'guest',
      namespace: expect.stringMatching(/^console-/),
      history: false,
      localJobs: ['orders'],
    });
    expect((await call('GET', '/me', ADMIN)).body).toMatchObject({ name: 'ops', role: 'admin' });
    expect((await fetch(`${root}/`)).status).toBe(401);
    expect((await fetch(`${root}/`, { headers: { authorization: basic(GUEST) } })).status).toBe(200);
    const page = await fetch(root, { headers: { authorization: basic(GUEST) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(
      /script-src 'sha256-[A-Za-z0-9+/=]+'; .*frame-ancestors 'none'/,
    );
    const html = await page.text();
    expect(html).toContain('<title>ElasticJob console</title>');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('is served where the app says, open only when the app says auth: false', async () => {
    const { call } = await consoleApp({ path: 'ops/jobs', auth: false });
    expect((await call('GET', '/jobs')).status).toBe(200);
    expect((await call('POST', '/jobs/orders/trigger', undefined, undefined, false)).status).toBe(403);
    expect((await call('POST', '/jobs/orders/trigger')).status).toBe(202);
  });

  it("lets the app's own guard decide who gets in, and roleOf what each may do", async () => {
    // The app's guard, with a dependency of the app's own, given through `imports`.
    @Injectable()
    class TeamTokens {
      readonly known = new Set(['ops-token', 'viewer-token']);
    }
    @Module({ providers: [TeamTokens], exports: [TeamTokens] })
    class TeamModule {}
    @Injectable()
    class TeamGuard implements CanActivate {
      constructor(private readonly tokens: TeamTokens) {}
      canActivate(context: ExecutionContext): boolean {
        const request = context.switchToHttp().getRequest<{ headers: Record<string, string>; team?: string }>();
        const token = request.headers['x-team-token'];
        if (!token || !this.tokens.known.has(token)) return false;
        request.team = token === 'ops-token' ? 'ops' : 'viewers';
        return true;
      }
    }
    const { call, root, operator } = await consoleApp({
      auth: { guard: TeamGuard, roleOf: (request: { team?: string }) => (request.team === 'ops' ? 'admin' : 'guest') },
      imports: [TeamModule],
    });
    // Refused by the app's guard; the console's own users mean nothing here.
    expect((await call('GET', '/jobs')).status).toBe(403);
    expect((await call('GET', '/jobs', { token: 'stolen' })).status).toBe(403);
    expect((await call('GET', '/jobs', ADMIN)).status).toBe(403);
    expect((await call('GET', '/me', VIEWER)).body).toMatchObject({ role: 'guest' });
    expect((await call('GET', '/jobs', VIEWER)).status).toBe(200);
    expect((await call('POST', '/jobs/orders/items/1/disable', VIEWER)).status).toBe(403);
    expect((await call('POST', '/jobs/orders/items/1/disable', OPS, undefined, false)).status).toBe(403);
    expect((await operator.getShardingInfo('orders'))[1]!.status).toBe('PENDING');
    expect((await call('POST', '/jobs/orders/items/1/disable', OPS)).status).toBe(204);
    expect((await operator.getShardingInfo('orders'))[1]!.status).toBe('DISABLED');
    // The page is behind the same rule.
    expect((await fetch(root)).status).toBe(403);
    expect((await fetch(root, { headers: { 'x-team-token': 'viewer-token' } })).status).toBe(200);
  });

  it("is described in the app's OpenAPI document when the app uses @nestjs/swagger", async () => {
    const { app, call } = await consoleApp();
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('app').build());
    const paths = document.paths as Record<string, Record<string, Record<string, any>>>;
    // Every route of the API, and not the page.
    expect(Object.keys(paths).sort()).toEqual([
      '/elastic-job/api/fires',
      '/elastic-job/api/history/executions',
      '/elastic-job/api/history/statistics',
      '/elastic-job/api/history/tasks/{taskId}',
      '/elastic-job/api/jobs',
      '/elastic-job/api/jobs/{name}',
      '/elastic-job/api/jobs/{name}/configuration',
      '/elastic-job/api/jobs/{name}/instances/{instanceId}/shutdown',
      '/elastic-job/api/jobs/{name}/items/{item}/disable',
      '/elastic-job/api/jobs/{name}/items/{item}/enable',
      '/elastic-job/api/jobs/{name}/servers/{ip}/disable',
      '/elastic-job/api/jobs/{name}/servers/{ip}/enable',
      '/elastic-job/api/jobs/{name}/trigger',
      '/elastic-job/api/me',
      '/elastic-job/api/servers',
    ]);
    const remove = paths['/elastic-job/api/jobs/{name}']!.delete!;
    expect(remove.tags).toEqual(['ElasticJob console']);
    expect(remove.summary).toMatch(/Remove the job/);
    expect(Object.keys(remove.responses)).toEqual(expect.arrayContaining(['204', '400', '403', '409']));
    expect(remove.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'name', in: 'path' }),
        expect.objectContaining({ name: CONSOLE_WRITE_HEADER, in: 'header', required: true }),
      ]),
    );
    const executions = paths['/elastic-job/api/history/executions']!.get!;
    expect(executions.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['jobName', 'item', 'from', 'to', 'outcome', 'limit']),
    );
    // Described, and still served as before.
    expect((await call('GET', '/jobs', GUEST)).status).toBe(200);
  });

  it('refuses to start without an access rule, or with users it cannot trust', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /auth is missing/],
      [{ auth: { users: [] } }, /at least one user/],
      [{ auth: { users: [{ name: 'a', password: 'short', role: 'admin' }] } }, /at least 8 characters/],
      [{ auth: { users: [{ name: 'a', password: 'long enough', role: 'root' }] } }, /"admin" or "guest"/],
      [{ auth: { users: [ADMIN, ADMIN] } }, /listed twice/],
      [{ auth: false, pth: 'x' }, /did you mean "path"/],
      [{ auth: { guard: class {}, roleOf: () => 'admin' } }, /a guard class/],
      [
        {
          auth: {
            guard: class {
              canActivate() {
                return true;
              }
            },
          },
        },
        /roleOf is missing/,
      ],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        ElasticJobConsoleModule.forRoot(options as ElasticJobConsoleOptions);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidModuleOptionsError);
      expect(String(error)).toMatch(message);
    }
  });

  it('works the same on Fastify: access, reads, a write, the page and the live view', async () => {
    const { call, root, operator } = await consoleApp(undefined, 'fastify');
    expect((await call('GET', '/jobs')).status).toBe(401);
    expect((await call('GET', '/jobs', GUEST)).body[0]).toMatchObject({ jobName: 'orders', status: 'OK' });
    expect((await call('POST', '/jobs/orders/items/2/disable', GUEST)).status).toBe(403);
    expect((await call('POST', '/jobs/orders/items/2/disable', ADMIN)).status).toBe(204);
    expect((await operator.getShardingInfo('orders'))[2]!.status).toBe('DISABLED');
    expect((await call('PATCH', '/jobs/orders/configuration', ADMIN, { cron: 'nope' })).status).toBe(400);
    const page = await fetch(root, { headers: { authorization: basic(GUEST) } });
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
    expect(await page.text()).toContain('<title>ElasticJob console</title>');
    const live = await fetch(`${root}/api/fires`, { headers: { authorization: basic(GUEST) } });
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = live.body!.getReader();
    let text = '';
    while (!text.includes('event: ready')) text += Buffer.from((await reader.read()).value!).toString();
    await reader.cancel();
  });
});
