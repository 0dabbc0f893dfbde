import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryCenter } from '../../lib/registry/registry-center.interface.js';
import { doubleRuns, exactlyOnceProblems, type FireRecord } from '../support/fires.js';
import { AppFixture, jobClass, startRecordingInstances } from '../support/nest-apps.js';
import { RegistryFixture } from '../support/registry.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';
import { ZooKeeperTestingServer } from '../../lib/testing/index.js';
import { ELASTIC_JOB_REGISTRY_CENTER } from '../../lib/elastic-job.constants.js';

let server: ZooKeeperTestingServer;
const apps = new AppFixture(() => server.connectString);
const registries = new RegistryFixture(() => server.connectString);

beforeAll(async () => {
  server = await ZooKeeperTestingServer.start();
});
afterEach(async () => {
  if (!server.isRunning) await server.restart();
  await apps.closeAll();
  await registries.closeAll();
});
afterAll(() => server?.close());

const JOB = 'steady';
const ids = ['o1@-@1', 'o2@-@2'];

function startPair(namespace: string, records: FireRecord[], sessionTimeoutMs: number): Promise<RegistryCenter[]> {
  return startRecordingInstances(apps, namespace, ids, records, {
    serverLists: server.connectString,
    namespace,
    sessionTimeoutMs,
    connectionTimeoutMs: 5_000,
  });
}

/** The first whole second after every instance is connected again. */
async function reconnected(centers: RegistryCenter[]): Promise<number> {
  await waitFor('every instance connected again', () => centers.every((center) => center.isConnected), 30_000);
  return Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
}

describe('ZooKeeper outages, checked on the execution record', () => {
  it('a server stopped for less than the session timeout: the sessions survive, jobs resume, nothing doubled', async () => {
    const namespace = uniqueNamespace('short-outage');
    const records: FireRecord[] = [];
    // A session timeout well past the outage, however long the server takes to come back on a
    // busy machine (a JVM start under load has taken over 7 s).
    const centers = await startPair(namespace, records, 30_000);
    const zk = await registries.open({ namespace, sessionTimeoutMs: 20_000 });
    const sessions = await Promise.all(
      ids.map(async (id) => (await zk.getStat(`/${JOB}/instances/${id}`))!.ephemeralOwner),
    );

    await server.stop();
    const stoppedAt = Date.now();
    await sleep(3_000);
    await server.restart();
    const restartedAt = Date.now();
    const resumed = await reconnected(centers);
    await sleep(4_000);

    expect(
      await Promise.all(ids.map(async (id) => (await zk.getStat(`/${JOB}/instances/${id}`))?.ephemeralOwner)),
    ).toEqual(sessions);
    expect(doubleRuns(records)).toEqual([]);
    // Fires during the outage did not start; each item ran once more (MISFIRE) when it was back.
    const duringOutage = records.filter(
      (r) => r.source === 'NORMAL_TRIGGER' && r.fireTime > stoppedAt + 1_000 && r.fireTime < restartedAt - 1_000,
    );
    expect(duringOutage).toEqual([]);
    const misfires = records.filter((r) => r.source === 'MISFIRE');
    expect(misfires.map((r) => r.item).sort()).toEqual([0, 1, 2, 3]);
    expect(exactlyOnceProblems(records, resumed, Math.floor((Date.now() - 2_000) / 1_000) * 1_000, () => 4)).toEqual(
      [],
    );
  });

  it('a server stopped for longer than the session timeout: the sessions expire, everything recovers by itself', async () => {
    const namespace = uniqueNamespace('long-outage');
    const records: FireRecord[] = [];
    const centers = await startPair(namespace, records, 3_000);
    await server.stop();
    await sleep(6_000);
    await server.restart();
    const restartedAt = await reconnected(centers);
    const zk = await registries.open({ namespace });
    await waitFor(
      'both registered again',
      async () => (await zk.getChildrenKeys(`/${JOB}/instances`)).length === 2,
      20_000,
    );
    await waitFor(
      'both run items again',
      () => ids.every((id) => records.some((r) => r.instance === id && r.fireTime > restartedAt)),
      20_000,
    );
    const recovered = Math.max(
      ...ids.map(
        (id) =>
          records.find((r) => r.instance === id && r.source === 'NORMAL_TRIGGER' && r.fireTime > restartedAt)!.fireTime,
      ),
    );
    await sleep(4_000);
    expect(doubleRuns(records)).toEqual([]);
    expect(exactlyOnceProblems(records, recovered, Math.floor((Date.now() - 2_000) / 1_000) * 1_000, () => 4)).toEqual(
      [],
    );
  });
});

describe('shutting down while ZooKeeper is down', () => {
  it('app.close() leaves without waiting for ZooKeeper, says so, and no job is left firing', async () => {
    const namespace = uniqueNamespace('down-at-close');
    let ran = 0;
    const Job = jobClass({ name: 'hourly', cron: '0 0 * * * ?', shardingTotalCount: 2 }, () => (ran += 1));
    const { app, logger } = await apps.create(namespace, [Job], {
      zookeeper: { serverLists: server.connectString, namespace, sessionTimeoutMs: 20_000, connectionTimeoutMs: 5_000 },
      shutdownTimeoutMs: 30_000,
    });
    await server.stop();
    await waitFor('the instance sees the outage', () => !app.get(ELASTIC_JOB_REGISTRY_CENTER).isConnected, 10_000);

    const startedAt = Date.now();
    await app.close();
    // Neither the session timeout (20 s) nor the shutdown deadline (30 s): nothing runs.
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(
      logger.lines
        .filter((line) => line.level === 'warn')
        .map((line) => line.message)
        .join('\n'),
    ).toContain('ZooKeeper is unreachable: leaving without a handover');
    expect(ran).toBe(0);
  });
});
