import { describe, expect, it } from 'vitest';
import { LockTimeoutError } from '../../lib/errors/index.js';
import { RegistryNotConnectedError } from '../../lib/errors/registry-operation.error.js';
import { RecordingLogger } from '../support/registry.js';
import { useZooKeeperServer } from '../support/suite.js';
import { expireSession } from '../../lib/testing/index.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';

const zookeeper = useZooKeeperServer();
const fixture = zookeeper.registries;

const LATCH = '/job/leader/election/latch';

describe('Curator-compatible latch', () => {
  it('five clients contending never hold it together, and every one gets it', async () => {
    const namespace = uniqueNamespace('lock');
    const clients = await Promise.all(Array.from({ length: 5 }, () => fixture.open({ namespace })));
    let holders = 0;
    let maxHolders = 0;
    const acquisitions: number[] = [];
    await Promise.all(
      clients.map(async (client, index) => {
        for (let round = 0; round < 8; round += 1) {
          await client.executeInLeader(
            LATCH,
            async () => {
              holders += 1;
              maxHolders = Math.max(maxHolders, holders);
              acquisitions.push(index);
              await sleep(5 + Math.floor(Math.random() * 10));
              holders -= 1;
            },
            30_000,
          );
        }
      }),
    );
    expect(maxHolders).toBe(1);
    expect(acquisitions).toHaveLength(40);
    for (let index = 0; index < 5; index += 1) expect(acquisitions.filter((i) => i === index)).toHaveLength(8);
    // Every latch node was removed after use.
    expect(await clients[0]!.getChildrenKeys(LATCH)).toEqual([]);
  });

  it('uses Curator node names (_c_{uuid}-latch-{seq}, ephemeral) and lowest sequence first', async () => {
    const namespace = uniqueNamespace('lock');
    const holder = await fixture.open({ namespace });
    const observer = await fixture.open({ namespace });
    let release!: () => void;
    const held = holder.executeInLeader(LATCH, () => new Promise<void>((resolve) => (release = resolve)), 10_000);
    const children = await waitFor('latch node', async () => {
      const names = await observer.getChildrenKeys(LATCH);
      return names.length === 1 ? names : undefined;
    });
    expect(children[0]).toMatch(/^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-latch-\d{10}$/);
    expect((await observer.getStat(`${LATCH}/${children[0]}`))!.ephemeralOwner).toBe(holder.sessionId);

    // A Java instance's Curator latch node queued after ours: it goes before any later waiter.
    const javaNode = await observer.persistEphemeralSequential(
      `${LATCH}/_c_0f8fad5b-d9cb-469f-a165-70867728950e-latch-`,
    );
    const waiterOrder: string[] = [];
    const waiting = observer.executeInLeader(LATCH, async () => void waiterOrder.push('observer'), 10_000);
    await sleep(200);
    release();
    await held;
    await sleep(300);
    expect(waiterOrder).toEqual([]);
    await observer.remove(javaNode);
    await waiting;
    expect(waiterOrder).toEqual(['observer']);
  });

  it('gives up after its timeout with a clear error and leaves no node behind', async () => {
    const namespace = uniqueNamespace('lock');
    const holder = await fixture.open({ namespace });
    const waiter = await fixture.open({ namespace });
    let release!: () => void;
    const held = holder.executeInLeader(LATCH, () => new Promise<void>((resolve) => (release = resolve)), 10_000);
    await waitFor('held', async () => (await waiter.getChildrenKeys(LATCH)).length === 1);
    const started = Date.now();
    const error = await waiter.executeInLeader(LATCH, async () => 'never', 500).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as Error).message).toMatch(
      /Timed out after 500 ms waiting for the lock ".*\/leader\/election\/latch" \(held by node "_c_.*-latch-\d{10}"\)/,
    );
    expect(await waiter.getChildrenKeys(LATCH)).toHaveLength(1);
    release();
    await held;
  });

  it('a holder whose session expires frees the latch for the next one', async () => {
    const namespace = uniqueNamespace('lock');
    const holder = await fixture.open({ namespace });
    const waiter = await fixture.open({ namespace });
    void holder.executeInLeader(LATCH, () => new Promise<void>(() => undefined), 60_000);
    await waitFor('held', async () => (await waiter.getChildrenKeys(LATCH)).length === 1);
    const acquired = waiter.executeInLeader(LATCH, async () => 'mine', 20_000);
    await expireSession(zookeeper.server().connectString, holder.sessionCredentials!);
    expect(await acquired).toBe('mine');
  });

  it('a release that fails once is retried until the node is gone: the next holder is not blocked', async () => {
    const namespace = uniqueNamespace('lock');
    const logger = new RecordingLogger();
    const first = await fixture.open({ namespace }, logger);
    const second = await fixture.open({ namespace });
    const remove = first.remove.bind(first);
    let failures = 0;
    first.remove = async (...args: Parameters<typeof remove>) => {
      if (args[0].startsWith(`${LATCH}/`) && failures === 0) {
        failures += 1;
        throw new RegistryNotConnectedError('remove', args[0], -4, 'CONNECTIONLOSS', 0);
      }
      return remove(...args);
    };
    await first.executeInLeader(LATCH, async () => undefined, 5_000);
    expect(failures).toBe(1);
    // Without the retry the first client's node would stay for its whole session, and this
    // would time out.
    await second.executeInLeader(LATCH, async () => undefined, 5_000);
    expect(await first.getChildrenKeys(LATCH)).toEqual([]);
    expect(logger.lines.some((line) => line.message.includes('retrying until it is gone'))).toBe(true);
  });
});
