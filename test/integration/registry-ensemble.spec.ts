import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryFixture, recordStates } from '../support/registry.js';
import { ZooKeeperTestingCluster } from '../../lib/testing/index.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

let ensemble: ZooKeeperTestingCluster;
const fixture = new RegistryFixture(() => ensemble.connectString);

// Each test gets a fresh ensemble: kills and restarts in one test must not shape the next.
beforeEach(async () => {
  ensemble = await ZooKeeperTestingCluster.start();
});
afterEach(async () => {
  await fixture.closeAll();
  await ensemble?.close();
});

/** Writes and reads in a loop until stopped; returns what it wrote, what it read, and failures. */
function trafficLoop(center: Awaited<ReturnType<RegistryFixture['open']>>) {
  let running = true;
  const failures: unknown[] = [];
  let written = 0;
  const done = (async () => {
    while (running) {
      const value = `v${written + 1}`;
      try {
        await center.persist('/job/counter', value);
        const read = await center.getDirectly('/job/counter');
        if (read !== value) failures.push(new Error(`read ${read} after writing ${value}`));
        written += 1;
      } catch (error) {
        failures.push(error);
      }
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { written, failures };
    },
    get written() {
      return written;
    },
  };
}

describe('registry center on a 3-node ensemble', () => {
  it('keeps reading and writing while one server, and then the quorum leader, is killed', async () => {
    const namespace = uniqueNamespace('ensemble');
    // Long enough for a re-election on a busy machine: the session must outlive it.
    const center = await fixture.open({ namespace, sessionTimeoutMs: 15_000 });
    const states = recordStates(center);
    await center.persistEphemeral('/job/instances/me', 'alive');
    const sessionBefore = center.sessionId;
    const traffic = trafficLoop(center);

    await waitFor('some traffic', () => traffic.written > 20);
    const follower = (await ensemble.leaderIndex()) === 0 ? 1 : 0;
    await ensemble.servers[follower]!.kill();
    const afterFirstKill = traffic.written;
    await waitFor('traffic after a follower died', () => traffic.written > afterFirstKill + 20, 20_000);

    const leader = await ensemble.leaderIndex();
    expect(leader).toBeGreaterThanOrEqual(0);
    await ensemble.servers[follower]!.restart();
    await ensemble.servers[leader]!.kill();
    const afterLeaderKill = traffic.written;
    await waitFor('traffic after the leader died', () => traffic.written > afterLeaderKill + 20, 45_000);

    const { failures } = await traffic.stop();
    expect(failures).toEqual([]);
    // The session lived through both: no LOST, and our ephemeral node is still ours.
    expect(states.map((s) => s.state)).not.toContain('LOST');
    expect(center.sessionId).toBe(sessionBefore);
    const observer = await fixture.open({ namespace });
    expect((await observer.getStat('/job/instances/me'))!.ephemeralOwner).toBe(sessionBefore);
  }, 120_000);

  it('a cache re-reads after a reconnect: a change made while it was cut off is not missed', async () => {
    const namespace = uniqueNamespace('reconnect');
    const [first, second] = ensemble.servers;
    // The cached client talks to the first server only; the writer to the second only.
    const cached = await fixture.open({ namespace, serverLists: first!.connectString, sessionTimeoutMs: 15_000 });
    const writer = await fixture.open({ namespace, serverLists: second!.connectString });
    await writer.persist('/job/config', 'before');
    const cache = await cached.addCacheData('/job');
    expect(cache.get('/job/config')).toBe('before');
    const states = recordStates(cached);

    await first!.kill();
    await waitFor('SUSPENDED', () => states.some((s) => s.state === 'SUSPENDED'), 15_000);
    await writer.persist('/job/config', 'while cut off');
    await writer.persist('/job/sharding/0/instance', 'new-owner');
    await writer.remove('/job/gone');
    await first!.restart();
    await waitFor('RECONNECTED', () => states.some((s) => s.state === 'RECONNECTED'), 30_000);
    expect(states.at(-1)!.newSession).toBe(false);

    await waitFor('cache caught up', () => cache.get('/job/config') === 'while cut off', 10_000);
    await waitFor('new node cached', () => cache.get('/job/sharding/0/instance') === 'new-owner', 10_000);
    // Watches still work after the reconnect.
    await writer.persist('/job/config', 'after');
    await waitFor('cache follows again', () => cache.get('/job/config') === 'after', 10_000);
  });
});
