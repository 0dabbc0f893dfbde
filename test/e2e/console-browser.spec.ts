import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ElasticJobConsoleModule } from '../../lib/console/elastic-job-console.module.js';
import { ElasticJobModule } from '../../lib/elastic-job.module.js';
import { JobOperator } from '../../lib/job.operator.js';
import { PostgresTestingServer } from '../../lib/testing/index.js';
import { launchChromium } from '../support/browser.js';
import { jobClass } from '../support/nest-apps.js';
import { RecordingLogger } from '../support/registry.js';
import { useZooKeeperServer } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

// The console's page in a real Chromium, over a real cluster of two instances (ZooKeeper) and
// a real execution log (PostgreSQL). Screenshots go to tmp/console/.

const zookeeper = useZooKeeperServer();
const SHOTS = resolve(import.meta.dirname, '../../tmp/console');
const ADMIN = { name: 'ops', password: 'correct horse battery', role: 'admin' as const };
const GUEST = { name: 'viewer', password: 'just looking here', role: 'guest' as const };
let browser: Browser;
let postgres: PostgresTestingServer;
const opened: INestApplication[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [browser, postgres] = await Promise.all([launchChromium(), PostgresTestingServer.start()]);
}, 120_000);
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await browser?.close();
  await postgres?.close();
});

/** Two instances of an app with the job `ledger` (item 2 always fails) and the console. */
async function cluster() {
  const namespace = uniqueNamespace('console-ui');
  const runs: Array<{ instance: string; item: number }> = [];
  const apps: Array<{ id: string; app: INestApplication; operator: JobOperator; url: string }> = [];
  for (const id of ['127.0.0.1@-@ui-a', '127.0.0.1@-@ui-b']) {
    const Job = jobClass({ name: 'ledger', cron: '0 0 0 1 1 ? 2099', shardingTotalCount: 3 }, (context) => {
      runs.push({ instance: id, item: context.shardingItem });
      if (context.shardingItem === 2) throw new Error('the ledger of item 2 is locked');
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        ElasticJobModule.forRoot({
          zookeeper: { serverLists: zookeeper.server().connectString, namespace, sessionTimeoutMs: 4_000 },
          instanceId: id,
          serverIp: '127.0.0.1',
          logger: new RecordingLogger(),
          shutdownTimeoutMs: 2_000,
          tracing: { type: 'RDB', dataSource: postgres.connectionString, flushIntervalMs: 50 },
        }),
        ElasticJobConsoleModule.forRoot({ auth: { users: [ADMIN, GUEST] } }),
      ],
      providers: [Job],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    opened.push(app);
    await app.listen(0, '127.0.0.1');
    apps.push({ id, app, operator: app.get(JobOperator), url: (await app.getUrl()).replace('[::1]', '127.0.0.1') });
  }
  await waitFor(
    'both instances with items',
    () => apps[0]!.operator.getInstances('ledger').filter((instance) => instance.items.length > 0).length === 2,
    20_000,
  );
  return { apps, runs };
}

async function open(url: string, user: { name: string; password: string }, view = ''): Promise<Page> {
  const context = await browser.newContext({ httpCredentials: { username: user.name, password: user.password } });
  const page = await context.newPage();
  // Without a view, as typed with no trailing "/" (the page finds its API either way).
  await page.goto(view ? `${url}/elastic-job/${view}` : `${url}/elastic-job`);
  return page;
}

describe('the console in a browser', () => {
  it('a guest sees the jobs and no write control, and a forged write from the page gets 403', async () => {
    const { apps } = await cluster();
    const page = await open(apps[0]!.url, GUEST);
    await page.getByRole('link', { name: 'ledger' }).waitFor();
    expect(await page.locator('td.status').first().textContent()).toBe('OK');
    await page.screenshot({ path: resolve(SHOTS, 'jobs-guest.png'), fullPage: true });
    await page.getByRole('link', { name: 'ledger' }).click();
    await page.getByRole('heading', { name: /ledger/ }).waitFor();
    expect(await page.getByRole('button').count()).toBe(0);
    const forged = await page.evaluate(async () => {
      const response = await fetch('/elastic-job/api/jobs/ledger/items/0/disable', {
        method: 'POST',
        headers: { 'x-elastic-job-console': '1' },
      });
      return response.status;
    });
    expect(forged).toBe(403);
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('heading', { name: 'Servers', level: 2 }).waitFor();
    expect(await page.locator('main tbody tr').first().textContent()).toContain('127.0.0.1@-@ui-a, 127.0.0.1@-@ui-b');
    expect((await apps[0]!.operator.getShardingInfo('ledger'))[0]!.status).toBe('PENDING');
    await page.context().close();
  }, 90_000);

  it('an admin edits the cron (every instance applies it), disables an item, triggers, and reads a failure’s cause', async () => {
    const { apps, runs } = await cluster();
    const page = await open(apps[0]!.url, ADMIN, '#/jobs/ledger');
    await page.getByRole('button', { name: 'Trigger now' }).waitFor();

    await page.getByText('Edit configuration').click();
    // A mistake first: refused with what is allowed, nothing written.
    await page.getByLabel('Items', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByText(/shardingTotalCount/).waitFor();
    expect(apps[0]!.operator.getJobConfiguration('ledger').shardingTotalCount).toBe(3);
    await page.getByLabel('Items', { exact: true }).fill('3');
    await page.getByLabel('Cron', { exact: true }).fill('0 0 1 1 1 ? 2099');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByText('Configuration of ledger saved: cron.').waitFor();
    // The view is drawn again from the API once the change is written.
    await page.locator('#cron', { hasText: '0 0 1 1 1 ? 2099' }).waitFor();
    await waitFor(
      'every instance on the new cron',
      () => apps.every(({ operator }) => operator.getJobConfiguration('ledger').cron === '0 0 1 1 1 ? 2099'),
      20_000,
    );

    await page.getByRole('button', { name: 'Disable item 1' }).click();
    await page.getByRole('button', { name: 'Enable item 1' }).waitFor();
    // The trigger from a second tab; this one watches it live, on an instance with an item that runs.
    const owners = apps[0]!.operator.getInstances('ledger');
    const watcher = owners.find((instance) => instance.items.some((item) => item !== 1))!;
    const watcherApp = apps.find((entry) => entry.id === watcher.instanceId)!;
    const live = await open(watcherApp.url, ADMIN, '#/live');
    // Listening on the server: from now on no fire is missed.
    await live.locator('#fires[data-live="ready"]').waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Trigger now' }).click();
    await page.getByText('Triggered ledger.').waitFor();
    await waitFor('items 0 and 2 ran', () => runs.length >= 2, 20_000);
    const fire = live.locator('#fires li', { hasText: 'trigger' }).first();
    await fire.waitFor();
    for (const { instanceId, items } of owners) {
      for (const item of items)
        await fire.getByText(new RegExp(`^${item}:${instanceId.replace(/\./g, '\\.')}`)).waitFor();
    }
    // The watching instance's items end up marked with how they did: 0 succeeds, 2 fails.
    for (const item of watcher.items.filter((item) => item !== 1)) {
      const mark = item === 2 ? '✗' : '✓';
      await fire.getByText(`${item}:${watcher.instanceId} ${mark}`).waitFor();
    }
    await live.screenshot({ path: resolve(SHOTS, 'live-admin.png'), fullPage: true });
    await live.context().close();
    // The disabled item was skipped.
    expect(runs.map((run) => run.item).sort()).toEqual([0, 2]);
    await page.screenshot({ path: resolve(SHOTS, 'job-admin.png'), fullPage: true });

    await page.getByRole('link', { name: 'History of ledger' }).click();
    const cause = page.getByText('Cause');
    await waitFor(
      'the failed run in the history',
      async () => {
        if ((await cause.count()) > 0) return true;
        await page.reload();
        await page.getByRole('heading', { name: /History/ }).waitFor();
        return (await cause.count()) > 0;
      },
      20_000,
      250,
    );
    await cause.first().click();
    await page.getByText(/Error: the ledger of item 2 is locked/).waitFor();
    expect(await page.locator('td.failed').count()).toBe(1);
    await page.screenshot({ path: resolve(SHOTS, 'history-admin.png'), fullPage: true });
    expect(runs.map((run) => run.item).sort()).toEqual([0, 2]);
    const misspelt = await page.evaluate(async () => {
      const response = await fetch('/elastic-job/api/history/executions?jobnme=ledger');
      return { status: response.status, body: (await response.json()) as { message: string } };
    });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.message).toMatch(/did you mean "jobName"/);
    await page.context().close();
  }, 120_000);
});
