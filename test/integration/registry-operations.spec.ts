import { describe, expect, it } from 'vitest';
import {
  RegistryAccessDeniedError,
  RegistryCenterUnavailableError,
  RegistryOperationError,
} from '../../lib/errors/index.js';
import { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import { InvalidRegistryKeyError } from '../../lib/errors/invalid-registry-key.error.js';
import { useZooKeeperServer } from '../support/suite.js';
import { freePort } from '../../lib/testing/index.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

const zookeeper = useZooKeeperServer();
const fixture = zookeeper.registries;

describe('registry center operations against a real ZooKeeper', () => {
  it('persists with parents, reads back, updates, and keeps everything under /{namespace}', async () => {
    const center = await fixture.open();
    await center.persist('/job/config', 'a: 1');
    expect(await center.getDirectly('/job/config')).toBe('a: 1');
    expect(await center.getDirectly('/job')).toBe('');
    await center.persist('/job/config', 'a: 2');
    expect(await center.getDirectly('/job/config')).toBe('a: 2');
    await center.update('/job/config', 'a: 3');
    expect(await center.getDirectly('/job/config')).toBe('a: 3');
    expect(await center.isExisted('/job/config')).toBe(true);
    expect(await center.isExisted('/job/absent')).toBe(false);
    expect(await center.getDirectly('/job/absent')).toBeNull();

    const other = await fixture.open({ namespace: 'root-view-' + center.namespace });
    // A second namespace sees nothing of the first: the paths are prefixed, not shared.
    expect(await other.getDirectly('/job/config')).toBeNull();
    const rootView = await fixture.open({ namespace: center.namespace });
    expect(await rootView.getChildrenKeys('/')).toEqual(['job']);
  });

  it('update of a missing node fails with NONODE and creates nothing', async () => {
    const center = await fixture.open();
    const error = await center.update('/missing/node', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryOperationError);
    expect((error as RegistryOperationError).codeName).toBe('NONODE');
    expect(await center.isExisted('/missing')).toBe(false);
  });

  it('returns children in reverse lexicographic order, as Curator does', async () => {
    const center = await fixture.open();
    for (const name of ['10.0.0.9@-@7', '10.0.0.10@-@7', 'a', 'B', '2']) {
      await center.persist(`/job/instances/${name}`, '');
    }
    expect(await center.getChildrenKeys('/job/instances')).toEqual(['a', 'B', '2', '10.0.0.9@-@7', '10.0.0.10@-@7']);
    expect(await center.getNumChildren('/job/instances')).toBe(5);
    expect(await center.getChildrenKeys('/job/none')).toEqual([]);
    expect(await center.getNumChildren('/job/none')).toBe(0);
  });

  it('reports ctime and mtime from the server', async () => {
    const center = await fixture.open();
    const before = Date.now();
    await center.persist('/job/systemTime/current', '');
    const created = await center.getStat('/job/systemTime/current');
    expect(created).not.toBeNull();
    expect(Math.abs(created!.ctime - before)).toBeLessThan(5_000);
    await sleep(20);
    await center.persist('/job/systemTime/current', '');
    const updated = await center.getStat('/job/systemTime/current');
    expect(updated!.ctime).toBe(created!.ctime);
    expect(updated!.mtime).toBeGreaterThan(created!.mtime);
    expect(updated!.version).toBe(1);
    expect(await center.getStat('/job/none')).toBeNull();
  });

  it('persistEphemeral replaces the node with one owned by this session, gone when it closes', async () => {
    const owner = await fixture.open();
    const observer = await fixture.open({ namespace: owner.namespace });
    await observer.persist('/job/instances/x', 'persistent');
    await owner.persistEphemeral('/job/instances/x', 'jobInstanceId: x');
    const stat = await observer.getStat('/job/instances/x');
    expect(stat!.ephemeralOwner).toBe(owner.sessionId);
    expect(await observer.getDirectly('/job/instances/x')).toBe('jobInstanceId: x');
    await owner.persistEphemeral('/job/instances/x', 'again');
    expect(await observer.getDirectly('/job/instances/x')).toBe('again');
    await owner.close();
    expect(await observer.isExisted('/job/instances/x')).toBe(false);
  });

  it('creates sequential nodes, persistent and ephemeral', async () => {
    const center = await fixture.open();
    const first = await center.persistSequential('/job/seq/item-', 'a');
    const second = await center.persistSequential('/job/seq/item-', 'b');
    expect(first).toMatch(/^\/job\/seq\/item-\d{10}$/);
    expect(second > first).toBe(true);
    expect(await center.getDirectly(second)).toBe('b');
    const ephemeral = await center.persistEphemeralSequential('/job/seq/e-');
    expect((await center.getStat(ephemeral))!.ephemeralOwner).toBe(center.sessionId);
  });

  it('createIfAbsent creates once', async () => {
    const center = await fixture.open();
    expect(await center.createIfAbsent('/job/leader/election/instance', 'me', true)).toBe(true);
    expect(await center.createIfAbsent('/job/leader/election/instance', 'other', true)).toBe(true);
    const other = await fixture.open({ namespace: center.namespace });
    expect(await other.createIfAbsent('/job/leader/election/instance', 'other', true)).toBe(false);
    expect(await other.getDirectly('/job/leader/election/instance')).toBe('me');
  });

  it('removeIfVersion deletes only the version it saw', async () => {
    const center = await fixture.open();
    await center.persist('/job/leader/sharding/necessary', '');
    const seen = (await center.getStat('/job/leader/sharding/necessary'))!.version;
    await center.persist('/job/leader/sharding/necessary', '');
    expect(await center.removeIfVersion('/job/leader/sharding/necessary', seen)).toBe(false);
    expect(await center.isExisted('/job/leader/sharding/necessary')).toBe(true);
    expect(await center.removeIfVersion('/job/leader/sharding/necessary', seen + 1)).toBe(true);
    expect(await center.isExisted('/job/leader/sharding/necessary')).toBe(false);
    expect(await center.removeIfVersion('/job/leader/sharding/necessary', 0)).toBe(false);
  });

  it('removes a subtree recursively, and a missing key quietly', async () => {
    const center = await fixture.open();
    for (let i = 0; i < 5; i += 1) {
      await center.persist(`/job/sharding/${i}/instance`, 'x');
      await center.persist(`/job/sharding/${i}/misfire`, '');
    }
    await center.remove('/job/sharding');
    expect(await center.isExisted('/job/sharding')).toBe(false);
    expect(await center.isExisted('/job')).toBe(true);
    await center.remove('/job/sharding');
  });

  it('serves get() from a started cache without asking the server', async () => {
    const center = await fixture.open();
    await center.persist('/job/config', 'cron: 0/5 * * * * ?');
    await center.addCacheData('/job');
    const before = (await zookeeper.server().mntr()).packetsReceived;
    for (let i = 0; i < 50; i += 1) expect(await center.get('/job/config')).toBe('cron: 0/5 * * * * ?');
    const after = (await zookeeper.server().mntr()).packetsReceived;
    // Only the mntr connection itself is counted in between.
    expect(after - before).toBeLessThan(5);
    // Outside any cache, get() reads ZooKeeper.
    await center.persist('/other', 'direct');
    expect(await center.get('/other')).toBe('direct');
  });

  it('counts the requests it sends, by operation', async () => {
    const center = await fixture.open();
    const before = center.requestCounts();
    await center.persist('/counted/a', '1');
    await center.getDirectly('/counted/a');
    await center.getDirectly('/counted/a');
    await center.remove('/counted/a');
    const after = center.requestCounts();
    const delta = (operation: string) => (after[operation] ?? 0) - (before[operation] ?? 0);

    expect(delta('getData')).toBe(2);
    expect(delta('create')).toBeGreaterThanOrEqual(2); // the parent, then the node
    expect(delta('delete')).toBeGreaterThanOrEqual(1);
    expect(Object.keys(after)).toEqual([...Object.keys(after)].sort());
  });

  it('rejects invalid keys and options with messages naming what is allowed', async () => {
    const center = await fixture.open();
    await expect(center.persist('no-slash', 'x')).rejects.toThrow(/Invalid registry key "no-slash"/);
    await expect(center.getDirectly('no-slash')).rejects.toBeInstanceOf(InvalidRegistryKeyError);
    await expect(center.persist('/a//b', 'x')).rejects.toThrow(/no empty segments/);
    expect(() => new ZookeeperRegistryCenter({ serverLists: 'localhost', namespace: 'x' })).toThrow(
      /zookeeper.serverLists "localhost": a list of "host:port"/,
    );
    expect(() => new ZookeeperRegistryCenter({ serverLists: '127.0.0.1:2181', namespace: 'a/b' })).toThrow(
      /zookeeper.namespace "a\/b": a non-empty name without "\/"/,
    );
    expect(
      () => new ZookeeperRegistryCenter({ serverLists: '127.0.0.1:2181', namespace: 'a', sessionTimeoutMs: 0 }),
    ).toThrow(/zookeeper.sessionTimeoutMs 0: a positive integer/);
    expect(
      () => new ZookeeperRegistryCenter({ serverLists: '127.0.0.1:2181', namespace: 'a', digest: 'nopassword' }),
    ).toThrow(/zookeeper.digest "\*\*\*": the form "user:password"/);
  });

  it('fails init within connectionTimeoutMs, naming the servers and the namespace', async () => {
    const port = await freePort();
    const center = fixture.create({
      serverLists: `127.0.0.1:${port}`,
      namespace: 'orders-app',
      connectionTimeoutMs: 1_500,
    });
    const started = Date.now();
    const error = await center.init().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(RegistryCenterUnavailableError);
    expect((error as Error).message).toContain(`"127.0.0.1:${port}"`);
    expect((error as Error).message).toContain('namespace "orders-app"');
    expect((error as Error).message).toContain('1500 ms');
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    await expect(center.getDirectly('/x')).rejects.toThrow(/registry center is closed/);
  });

  describe('digest', () => {
    it('creates nodes readable only with the same digest and refuses another digest clearly', async () => {
      const namespace = uniqueNamespace('secure');
      const owner = await fixture.open({ namespace, digest: 'alice:secret' });
      await owner.persist('/job/config', 'shardingTotalCount: 3');
      await owner.persistEphemeral('/job/instances/a', 'x');
      expect(await owner.getDirectly('/job/config')).toBe('shardingTotalCount: 3');

      const sameDigest = await fixture.open({ namespace, digest: 'alice:secret' });
      expect(await sameDigest.getDirectly('/job/config')).toBe('shardingTotalCount: 3');

      const intruder = await fixture.open({ namespace, digest: 'mallory:guess' });
      const error = await intruder.getDirectly('/job/config').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryAccessDeniedError);
      expect((error as Error).message).toMatch(
        new RegExp(`refused to getData "/${namespace}/job/config" \\(NOAUTH\\).*another digest.*same zookeeper.digest`),
      );
      await expect(intruder.persist('/job/config', 'shardingTotalCount: 1')).rejects.toBeInstanceOf(
        RegistryAccessDeniedError,
      );
      const anonymous = await fixture.open({ namespace });
      await expect(anonymous.getDirectly('/job/instances/a')).rejects.toBeInstanceOf(RegistryAccessDeniedError);
      expect(await owner.getDirectly('/job/config')).toBe('shardingTotalCount: 3');
    });
  });

  describe('tree cache', () => {
    it('emits added, updated and removed, and keeps re-arming its watches', async () => {
      const center = await fixture.open();
      const writer = await fixture.open({ namespace: center.namespace });
      await writer.persist('/job/config', 'v0');
      const cache = await center.addCacheData('/job');
      expect(cache.get('/job/config')).toBe('v0');
      const events: string[] = [];
      cache.addListener((event) => events.push(`${event.type} ${event.key} ${event.data}`));

      for (let i = 1; i <= 5; i += 1) {
        await writer.persist('/job/config', `v${i}`);
        await waitFor(`update v${i}`, () => cache.get('/job/config') === `v${i}`);
      }
      await writer.persist('/job/sharding/0/instance', 'i1');
      await waitFor('sharding added', () => cache.get('/job/sharding/0/instance') === 'i1');
      await writer.remove('/job/sharding');
      await waitFor('sharding removed', () => !cache.has('/job/sharding'));

      expect(events).toEqual([
        'updated /job/config v1',
        'updated /job/config v2',
        'updated /job/config v3',
        'updated /job/config v4',
        'updated /job/config v5',
        'added /job/sharding ',
        'added /job/sharding/0 ',
        'added /job/sharding/0/instance i1',
        'removed /job/sharding/0/instance i1',
        'removed /job/sharding/0 ',
        'removed /job/sharding ',
      ]);
      expect(cache.getChildren('/job')).toEqual(['config']);
    });

    it('follows only the listed children of a fixed node: the others cost no event and no request', async () => {
      const center = await fixture.open();
      const writer = await fixture.open({ namespace: center.namespace });
      await writer.persist('/job/sharding/0/instance', 'i1');
      const cache = await center.addCacheData('/job', {
        fixedChildren: (key) => (key === '/job/sharding/0' ? ['instance', 'disabled'] : undefined),
      });
      const events: string[] = [];
      cache.addListener((event) => events.push(`${event.type} ${event.key} ${event.data}`));
      expect(cache.getChildren('/job/sharding/0')).toEqual(['instance']);

      const before = center.requestCounts();
      for (let i = 0; i < 20; i += 1) {
        await writer.persistEphemeral('/job/sharding/0/running', 'i1');
        await writer.remove('/job/sharding/0/running');
      }
      await cache.sync();
      const after = center.requestCounts();
      const sent = Object.entries(after).reduce((sum, [op, n]) => sum + n - (before[op] ?? 0), 0);
      expect(sent).toBe(1); // sync()'s own exists
      expect(events).toEqual([]);
      expect(cache.has('/job/sharding/0/running')).toBe(false);
      expect(await center.get('/job/sharding/0/running')).toBeNull(); // not cached: read from ZooKeeper

      await writer.persist('/job/sharding/0/disabled', '');
      await waitFor('disabled added', () => cache.has('/job/sharding/0/disabled'));
      await writer.persist('/job/sharding/0/instance', 'i2');
      await waitFor('instance updated', () => cache.get('/job/sharding/0/instance') === 'i2');
      await writer.remove('/job/sharding/0/disabled');
      await waitFor('disabled removed', () => !cache.has('/job/sharding/0/disabled'));
      await writer.persist('/job/sharding/0/disabled', 'again');
      await waitFor('disabled added again', () => cache.get('/job/sharding/0/disabled') === 'again');

      expect(events).toEqual([
        'added /job/sharding/0/disabled ',
        'updated /job/sharding/0/instance i2',
        'removed /job/sharding/0/disabled ',
        'added /job/sharding/0/disabled again',
      ]);
      expect(cache.getChildren('/job/sharding/0')).toEqual(['instance', 'disabled']);
    });

    it('awaitAbsent resolves when the nodes are deleted, and false at its timeout', async () => {
      const center = await fixture.open();
      const writer = await fixture.open({ namespace: center.namespace });
      await writer.persist('/job/sharding/0/running', 'x');
      await writer.persist('/job/sharding/1/running', 'y');
      const keys = ['/job/sharding/0/running', '/job/sharding/1/running', '/job/sharding/2/running'];

      expect(await center.awaitAbsent(keys, 300)).toBe(false);
      const waiting = center.awaitAbsent(keys, 20_000);
      await writer.remove('/job/sharding/1/running');
      await sleep(200);
      await writer.remove('/job/sharding/0/running');
      expect(await waiting).toBe(true);
      expect(await center.awaitAbsent(keys, 0)).toBe(true); // no time to wait, but a look
    });

    it('converges after a burst of 1,000 changes', async () => {
      const center = await fixture.open();
      const writer = await fixture.open({ namespace: center.namespace });
      await writer.persist('/job/config', 'start');
      const cache = await center.addCacheData('/job');
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 1_000; i += 1) {
        const item = i % 50;
        if (i % 10 === 9) writes.push(writer.remove(`/job/sharding/${(item + 25) % 50}`));
        else writes.push(writer.persist(`/job/sharding/${item}/instance`, `owner-${i}`));
      }
      await Promise.all(writes);
      await cache.sync();
      const expectedKeys = new Set<string>();
      for (const item of await writer.getChildrenKeys('/job/sharding')) {
        expectedKeys.add(`/job/sharding/${item}`);
        for (const child of await writer.getChildrenKeys(`/job/sharding/${item}`)) {
          const key = `/job/sharding/${item}/${child}`;
          expectedKeys.add(key);
          expect(cache.get(key)).toBe(await writer.getDirectly(key));
        }
      }
      const cachedKeys = new Set(
        (cache as unknown as { keys(): string[] }).keys().filter((key) => key.startsWith('/job/sharding/')),
      );
      expect(cachedKeys).toEqual(expectedKeys);
    });

    it('starts on a missing root and picks it up when it is created', async () => {
      const center = await fixture.open();
      const cache = await center.addCacheData('/later');
      expect(cache.has('/later')).toBe(false);
      await center.persist('/later/config', 'x');
      await waitFor('root created', () => cache.get('/later/config') === 'x');
    });

    it('a throwing listener is logged and does not stop the others', async () => {
      const center = await fixture.open();
      const cache = await center.addCacheData('/job');
      const seen: string[] = [];
      cache.addListener(() => {
        throw new Error('listener bug');
      });
      cache.addListener((event) => seen.push(event.key));
      await center.persist('/job/a', '1');
      await waitFor('event seen', () => seen.includes('/job/a'));
    });
  });
});
