import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistrySessionExpiredError } from '../../lib/errors/index.js';
import type { CacheEvent } from '../../lib/registry/registry-center.interface.js';
import { RecordingLogger, RegistryFixture, recordStates } from '../support/registry.js';
import { expireSession, ZooKeeperTestingServer } from '../../lib/testing/index.js';
import { sleep, waitFor } from '../support/wait.js';

let server: ZooKeeperTestingServer;
const fixture = new RegistryFixture(() => server.connectString);

beforeAll(async () => {
  server = await ZooKeeperTestingServer.start();
});
afterEach(async () => {
  await fixture.closeAll();
  if (!server.isRunning) await server.restart();
});
afterAll(() => server?.close());

describe('registry center sessions against a real ZooKeeper', () => {
  it('sees an expired session as LOST, then opens a working new session by itself', async () => {
    const logger = new RecordingLogger();
    const center = await fixture.open({ sessionTimeoutMs: 4_000 }, logger);
    const observer = await fixture.open({ namespace: center.namespace });
    const states = recordStates(center);
    await center.persistEphemeral('/job/instances/me', 'old session');
    const cache = await center.addCacheData('/job');
    const events: CacheEvent[] = [];
    cache.addListener((event) => events.push(event));
    const oldSession = center.sessionCredentials!;

    await expireSession(server.connectString, oldSession);
    await waitFor('a new session', () => states.some((s) => s.state === 'RECONNECTED' && s.newSession));

    // Joining the session takes its connection away for a moment (SUSPENDED, RECONNECTED on
    // the same session) before the expiry: what matters is LOST, then the new session.
    const lost = states.findIndex((s) => s.state === 'LOST');
    const renewed = states.findIndex((s) => s.newSession);
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(renewed).toBe(states.length - 1);
    expect(lost).toBe(renewed - 1);
    expect(states.slice(0, lost).every((s) => s.sessionId === oldSession.id && !s.newSession)).toBe(true);
    expect(states[lost]!.sessionId).toBe(oldSession.id);
    expect(states[lost]!.reason).toBe('the server expired it');
    expect(states[renewed]!.sessionId).not.toBe(oldSession.id);
    expect(center.sessionId).toBe(states[renewed]!.sessionId);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes(`0x${oldSession.id}`))).toBe(true);

    // The old session's ephemeral node is gone, and the cache says so.
    expect(await observer.isExisted('/job/instances/me')).toBe(false);
    await waitFor('cache removal', () => events.some((e) => e.type === 'removed' && e.key === '/job/instances/me'));

    // The new session works, and the cache follows changes again (watches re-armed).
    await center.persistEphemeral('/job/instances/me', 'new session');
    expect((await observer.getStat('/job/instances/me'))!.ephemeralOwner).toBe(center.sessionId);
    await observer.persist('/job/config', 'after');
    await waitFor('cache update after new session', () => cache.get('/job/config') === 'after');
    await waitFor('own node in cache', () => cache.get('/job/instances/me') === 'new session');
  });

  it('a server restart within the session timeout is SUSPENDED then RECONNECTED on the same session', async () => {
    // Long enough for the client's reconnect, which the binding retries a third of the session
    // timeout after its last attempt, to land before two thirds of it (AT_RISK).
    const center = await fixture.open({ sessionTimeoutMs: 30_000 });
    const states = recordStates(center);
    await center.persistEphemeral('/job/instances/me', 'x');
    const sessionBefore = center.sessionId;

    await server.stop();
    await waitFor('SUSPENDED', () => states.some((s) => s.state === 'SUSPENDED'), 10_000);
    await sleep(1_000);
    await server.restart();
    await waitFor('RECONNECTED', () => states.some((s) => s.state === 'RECONNECTED'), 15_000);

    expect(states.map((s) => s.state)).toEqual(['SUSPENDED', 'RECONNECTED']);
    expect(states[1]!.newSession).toBe(false);
    expect(center.sessionId).toBe(sessionBefore);
    const observer = await fixture.open({ namespace: center.namespace });
    const stat = await observer.getStat('/job/instances/me');
    expect(stat?.ephemeralOwner).toBe(sessionBefore);
    expect(await center.getDirectly('/job/instances/me')).toBe('x');
  });

  it('a server down longer than the session timeout: AT_RISK then LOST while down, a new session when it is back', async () => {
    const center = await fixture.open({ sessionTimeoutMs: 2_000 });
    const states = recordStates(center);
    const sessionBefore = center.sessionId;
    await server.stop();
    await waitFor('LOST', () => states.some((s) => s.state === 'LOST'), 10_000);
    expect(states.map((s) => s.state)).toEqual(['SUSPENDED', 'AT_RISK', 'LOST']);
    expect(states[2]!.reason).toMatch(/no connection for 2000 ms/);

    // An operation started while there is no session fails clearly instead of hanging.
    await server.restart();
    await waitFor('RECONNECTED', () => states.some((s) => s.state === 'RECONNECTED'), 20_000);
    expect(states.at(-1)!.newSession).toBe(true);
    expect(center.sessionId).not.toBe(sessionBefore);
    await center.persist('/after/outage', 'ok');
    expect(await center.getDirectly('/after/outage')).toBe('ok');
  });

  it('an operation in flight when the session is lost is not replayed on the new session', async () => {
    const center = await fixture.open({ sessionTimeoutMs: 2_000 });
    await server.stop();
    // Issued while disconnected: it waits for the connection, which never comes back on this session.
    const pending = center.persistEphemeral('/job/running', 'x').catch((e: unknown) => e);
    const error = await pending;
    expect(error).toBeInstanceOf(RegistrySessionExpiredError);
    expect((error as Error).message).toMatch(/not retried on the new session/);
    await server.restart();
    await waitFor('connected', () => center.isConnected, 20_000);
    expect(await center.isExisted('/job/running')).toBe(false);
  });
});
