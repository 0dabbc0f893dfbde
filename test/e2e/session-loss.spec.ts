import { describe, expect, it } from 'vitest';
import { useZooKeeperServer } from '../support/suite.js';
import { ELASTIC_JOB_REGISTRY_CENTER } from '../../lib/elastic-job.constants.js';
import type { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';
import { expireSession } from '../../lib/testing/index.js';

const zookeeper = useZooKeeperServer();
const { apps, registries } = zookeeper;

interface Interval {
  instance: string;
  item: number;
  fireTime: number;
  start: number;
  end?: number;
  aborted?: string;
}

describe('session loss', () => {
  it('an expired session aborts the item through its signal, never runs it beside its new owner, and the instance rejoins', async () => {
    const namespace = uniqueNamespace('expiry');
    const intervals: Interval[] = [];
    const start = async (id: string): Promise<TestApp> => {
      const Job = jobClass({ name: 'slow', cron: '0/4 * * * * ?', shardingTotalCount: 2 }, async (ctx) => {
        const interval: Interval = {
          instance: id,
          item: ctx.shardingItem,
          fireTime: ctx.fireTime.getTime(),
          start: Date.now(),
        };
        intervals.push(interval);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_500);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            interval.aborted = (ctx.signal.reason as Error).message;
            resolve();
          });
        });
        interval.end = Date.now();
      });
      return apps.create(namespace, [Job], { instanceId: id });
    };
    const a = await start('e1@-@1');
    await start('e2@-@2');
    const zk = await registries.open({ namespace });
    const inItem = await waitFor(
      'e1 in the middle of an item, with e2 running the other',
      () => {
        const mine = intervals.findLast((i) => i.instance === 'e1@-@1' && i.end === undefined);
        return mine && intervals.some((i) => i.instance === 'e2@-@2' && i.fireTime === mine.fireTime)
          ? mine
          : undefined;
      },
      20_000,
      20,
    );
    const registry = a.app.get<ZookeeperRegistryCenter>(ELASTIC_JOB_REGISTRY_CENTER);
    const oldSession = registry.sessionCredentials!;
    await expireSession(zookeeper.server().connectString, oldSession);

    await waitFor('the item aborted', () => inItem.aborted !== undefined, 10_000);
    expect(inItem.aborted).toMatch(/lost its ZooKeeper session/);
    // It rejoins on a new session and gets items again.
    await waitFor(
      'rejoined',
      async () => {
        const stat = await zk.getStat('/slow/instances/e1@-@1');
        return stat !== null && stat.ephemeralOwner !== oldSession.id;
      },
      15_000,
    );
    await waitFor(
      'e1 runs items again',
      () => intervals.some((i) => i.instance === 'e1@-@1' && i.start > inItem.start + 3_000),
      20_000,
    );

    // Never the same item on two instances at the same time.
    for (const x of intervals) {
      for (const y of intervals) {
        if (x === y || x.item !== y.item || x.instance === y.instance) continue;
        const overlap = x.start < (y.end ?? Date.now()) && y.start < (x.end ?? Date.now());
        expect(overlap, `item ${x.item}: ${x.instance} ${x.start}-${x.end} and ${y.instance} ${y.start}-${y.end}`).toBe(
          false,
        );
      }
    }
  });

  it('a handler that blocks the event loop is detected and logged with its job; past the session timeout the session is lost and recovered', async () => {
    const namespace = uniqueNamespace('blocked');
    const Job = jobClass({ name: 'cpu-hog', cron: '0 0 3 * * ?', shardingTotalCount: 1 }, () => {
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        // a synchronous, CPU-bound handler
      }
    });
    const app = await apps.create(namespace, [Job], { instanceId: 'hog@-@1' });
    const zk = await registries.open({ namespace });
    const sessionBefore = (await zk.getStat('/cpu-hog/instances/hog@-@1'))!.ephemeralOwner;
    await app.operator.triggerAndWait('cpu-hog', { timeoutMs: 20_000 });
    await waitFor(
      'the stall logged',
      () => app.logger.lines.some((l) => l.message.includes('The event loop was blocked')),
      5_000,
    );
    const warning = app.logger.lines.find((l) => l.message.includes('The event loop was blocked'))!;
    expect(warning.level).toBe('warn');
    expect(warning.message).toMatch(
      /blocked for \d{4} ms \(ZooKeeper session timeout 4000 ms\), while running job "cpu-hog" \(items 0\); the session was probably lost/,
    );
    // The session did expire (4 s); the instance is registered again on a new one.
    await waitFor(
      're-registered on a new session',
      async () => {
        const stat = await zk.getStat('/cpu-hog/instances/hog@-@1');
        return stat !== null && stat.ephemeralOwner !== sessionBefore;
      },
      20_000,
    );
  });
});
