import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/child-instances.js';
import { RecordedCluster, type SoakJob } from '../support/recorded-instances.js';
import { RegistryFixture } from '../support/registry.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';
import { ZooKeeperTestingServer } from '../../lib/testing/index.js';
import { instanceYaml } from '../../lib/config/elastic-job-yaml.js';

// Instances of a Nest app in child processes against a real ZooKeeper; every handler start and
// end recorded; judged from what ran: no (job, item) on two live instances at once.

const SESSION_TIMEOUT_MS = 3_000;
let server: ZooKeeperTestingServer;
const clusters: RecordedCluster[] = [];
const registries = new RegistryFixture(() => server.connectString);

beforeAll(async () => {
  ensureBuilt();
  server = await ZooKeeperTestingServer.start();
});
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stopAll()));
  await registries.closeAll();
});
afterAll(() => server?.close());

function cluster(jobs: SoakJob[], env: Record<string, string> = {}): RecordedCluster {
  const recorded = new RecordedCluster({
    ZK: server.connectString,
    NAMESPACE: uniqueNamespace('once'),
    SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    SOAK_JOBS: JSON.stringify(jobs),
    ...env,
  });
  clusters.push(recorded);
  return recorded;
}

describe('exactly once under faults', () => {
  it.each([
    ['is still running its item when it thaws', 20_000],
    ['finds its item done when it thaws (its timers were due)', 4_000],
  ])(
    'an instance frozen past its session %s: nothing starts on it beside the failover run',
    async (_, itemMs) => {
      const recorded = cluster([{ name: 'long', cron: '0/5 * * * * ?', count: 2, failover: true, itemMs }]);
      // Both joined before the first fire, so each gets an item from the start.
      await Promise.all([recorded.start('frozen'), recorded.start('survivor')]);
      const target = await waitFor(
        'both instances in the middle of an item',
        () => {
          const open = recorded.runs().filter((run) => run.end === undefined);
          // A run that has just begun, so that it is still going when the instance thaws.
          const mine = open.find((run) => run.instance === 'frozen' && Date.now() - run.at < 1_000);
          return mine && open.some((run) => run.instance === 'survivor') ? mine : undefined;
        },
        60_000,
        20,
      );
      recorded.freeze('frozen');
      // The survivor takes the frozen instance's item over once its session expires.
      await waitFor(
        'the failover run on the survivor',
        () => recorded.runs().some((run) => run.instance === 'survivor' && run.source === 'FAILOVER'),
        SESSION_TIMEOUT_MS + 15_000,
      );
      await sleep(1_000);
      const thawedAt = recorded.thaw('frozen');
      // Several fires of the thawed instance, its catch-up and its rejoining.
      await sleep(6_000);

      expect(recorded.overlaps()).toEqual([]);
      const frozenRun = recorded.runs().find((run) => run.run === target.run)!;
      // Aborted on the thaw, or over at once (its timer was due): either way within the grace.
      expect(frozenRun.end! - thawedAt).toBeLessThan(500);
      // Nothing started on the thawed instance under the session it lost.
      // Nothing of the failed-over item started on the thawed instance while the failover ran.
      const failoverRun = recorded.runs().find((run) => run.instance === 'survivor' && run.source === 'FAILOVER')!;
      const beside = recorded
        .runs()
        .filter((run) => run.instance === 'frozen' && run.item === failoverRun.item && run.at >= thawedAt)
        .filter((run) => run.at < (failoverRun.end ?? Number.POSITIVE_INFINITY));
      expect(beside).toEqual([]);
    },
    120_000,
  );

  it('an instance frozen past its session again and again survives every thaw and runs items on a new session', async () => {
    const recorded = cluster([{ name: 'often', cron: '* * * * * ?', count: 2, failover: true, itemMs: 300 }]);
    await Promise.all([recorded.start('frozen'), recorded.start('survivor')]);
    for (let round = 0; round < 4; round += 1) {
      await waitFor(
        `round ${round}: the instance runs items`,
        () => recorded.runs().some((run) => run.instance === 'frozen' && Date.now() - run.at < 1_500),
        SESSION_TIMEOUT_MS + 15_000,
      );
      recorded.freeze('frozen');
      await sleep(SESSION_TIMEOUT_MS + 2_000 + round * 500);
      const thawedAt = recorded.thaw('frozen');
      // Its new session registers it again; then it runs items of its own again.
      await waitFor(
        `round ${round}: items on the thawed instance again`,
        () =>
          recorded.exitOf('frozen') ??
          recorded.runs().some((run) => run.instance === 'frozen' && run.at > thawedAt + 500),
        SESSION_TIMEOUT_MS + 15_000,
      );
      expect(recorded.exitOf('frozen')).toBeUndefined();
    }
    expect(recorded.overlaps()).toEqual([]);
  }, 180_000);

  it('a graceful stop is never taken for a crash: its items finish on it and are not failed over', async () => {
    const recorded = cluster([{ name: 'steady', cron: '0/2 * * * * ?', count: 2, failover: true, itemMs: 1_500 }], {
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    await recorded.start('keeper');
    for (let round = 1; round <= 3; round += 1) {
      const leaver = `leaver-${round}`;
      await recorded.start(leaver);
      // Stop it while it runs an item.
      await waitFor(
        `${leaver} in the middle of an item`,
        () =>
          recorded.runs().some((run) => run.instance === leaver && run.end === undefined && Date.now() - run.at > 200),
        20_000,
        20,
      );
      await recorded.stop(leaver);
    }
    await sleep(2_500);

    expect(recorded.overlaps()).toEqual([]);
    expect(recorded.runs().filter((run) => run.source === 'FAILOVER')).toEqual([]);
    expect(recorded.runs().filter((run) => run.status === 'aborted')).toEqual([]);
  });

  it('ZooKeeper restarted past the session timeout: stale running nodes and re-registrations cause no double run', async () => {
    const recorded = cluster([
      { name: 'fast', cron: '* * * * * ?', count: 6, itemMs: 100, jitterMs: 150 },
      { name: 'slow', cron: '0/2 * * * * ?', count: 4, failover: true, itemMs: 1_500 },
    ]);
    await Promise.all(['zk-a', 'zk-b', 'zk-c'].map((id) => recorded.start(id)));
    for (let round = 0; round < 2; round += 1) {
      await waitFor(
        'slow items running',
        () => recorded.runs().filter((run) => run.job === 'slow' && run.end === undefined).length >= 2,
        20_000,
        20,
      );
      await server.kill();
      await sleep(SESSION_TIMEOUT_MS + 500);
      await server.restart();
      // Sessions renewed, instances registered again, stale nodes failed over.
      await sleep(SESSION_TIMEOUT_MS + 4_000);
    }
    const quietFrom = Date.now();
    await sleep(5_000);

    expect(recorded.overlaps()).toEqual([]);
    // Recovered: every item of every fire since runs exactly once.
    const recent = recorded.runs().filter((run) => run.fire >= quietFrom && run.fire < quietFrom + 4_000);
    const counts = new Map<string, number>();
    for (const run of recent) {
      if (run.source !== 'NORMAL_TRIGGER' && run.source !== 'MISFIRE') continue;
      counts.set(`${run.job}/${run.fire}/${run.item}`, (counts.get(`${run.job}/${run.fire}/${run.item}`) ?? 0) + 1);
    }
    expect([...counts.values()].filter((count) => count !== 1)).toEqual([]);
    expect(counts.size).toBeGreaterThanOrEqual(6 * 3 + 4);
  });

  it('every instance stopped at once: each finishes its items and leaves, none waits for a handover', async () => {
    const recorded = cluster([{ name: 'all-stop', cron: '0/3 * * * * ?', count: 3, failover: true, itemMs: 1_500 }], {
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    const ids = ['stop-a', 'stop-b', 'stop-c'];
    await Promise.all(ids.map((id) => recorded.start(id)));
    await waitFor(
      'every instance in the middle of an item',
      () => ids.every((id) => recorded.runs().some((run) => run.instance === id && run.end === undefined)),
      30_000,
      20,
    );
    await recorded.stopAll();

    expect(recorded.runs().filter((run) => run.status === 'aborted')).toEqual([]);
    expect(recorded.overlaps()).toEqual([]);
    for (const id of ids) {
      // Far below the 20 s shutdown deadline: the items take 1.5 s.
      expect(recorded.said(id, 'closed')! - recorded.said(id, 'stopping')!).toBeLessThan(10_000);
    }
  });

  it('a Java follower (it reads sharding/{i}/instance at each fire) and Node instances run each item of each fire once through reshards', async () => {
    const job = 'mixed';
    const namespace = uniqueNamespace('mixed');
    const recorded = new RecordedCluster({
      ZK: server.connectString,
      NAMESPACE: namespace,
      SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      SOAK_JOBS: JSON.stringify([{ name: job, cron: '* * * * * ?', count: 6, itemMs: 50 }]),
    });
    clusters.push(recorded);
    await recorded.start('node-a');
    // The stand-in: an instance node, and at each fire (a little late, as a JVM is) the items
    // the sharding/{i}/instance nodes give it, as ElasticJob's follower reads them.
    const java = await registries.open({ namespace, sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const cache = await java.addCacheData(`/${job}`);
    const javaId = '10.0.0.99@-@4242';
    await java.persist(`/${job}/servers/10.0.0.99`, 'ENABLED');
    await java.persistEphemeral(`/${job}/instances/${javaId}`, instanceYaml(javaId, '10.0.0.99'));
    const javaRuns: Array<{ fire: number; item: number }> = [];
    let javaActive = true;
    const javaTimer = setInterval(() => undefined, 1_000);
    const javaLoop = (async () => {
      while (javaActive) {
        const fire = Math.floor(Date.now() / 1_000) * 1_000 + 1_000;
        await sleep(fire - Date.now() + Math.floor(Math.random() * 40));
        if (!javaActive) break;
        for (let item = 0; item < 6; item += 1) {
          if (cache.get(`/${job}/sharding/${item}/instance`) === javaId) javaRuns.push({ fire, item });
        }
      }
    })();
    const startedAt = Date.now();
    try {
      await sleep(3_000);
      await recorded.start('node-b');
      await sleep(3_000);
      await recorded.start('node-c');
      await sleep(3_000);
      await recorded.stop('node-b');
      await sleep(3_000);
      // The Java instance leaves gracefully (its instance node goes), right after a fire.
      await sleep(1_100 - (Date.now() % 1_000));
      const javaLeftAt = Date.now();
      await java.remove(`/${job}/instances/${javaId}`);
      javaActive = false;
      await javaLoop;
      await sleep(3_000);

      const counts = new Map<number, Map<number, number>>();
      const count = (fire: number, item: number) => {
        const items = counts.get(fire) ?? new Map<number, number>();
        items.set(item, (items.get(item) ?? 0) + 1);
        counts.set(fire, items);
      };
      for (const run of recorded.runs())
        if (run.source === 'NORMAL_TRIGGER' || run.source === 'MISFIRE') count(run.fire, run.item);
      for (const run of javaRuns) if (run.fire < javaLeftAt) count(run.fire, run.item);
      const problems: string[] = [];
      const first = Math.ceil((startedAt + 2_000) / 1_000) * 1_000;
      const last = Math.floor((Date.now() - 1_000) / 1_000) * 1_000;
      for (let fire = first; fire <= last; fire += 1_000) {
        for (let item = 0; item < 6; item += 1) {
          const times = counts.get(fire)?.get(item) ?? 0;
          if (times !== 1) problems.push(`fire ${fire - startedAt} ms, item ${item}: ${times} runs`);
        }
      }
      expect(problems).toEqual([]);
      // The stand-in did take part.
      expect(javaRuns.length).toBeGreaterThan(0);
    } finally {
      javaActive = false;
      clearInterval(javaTimer);
      await javaLoop;
    }
  });
});
