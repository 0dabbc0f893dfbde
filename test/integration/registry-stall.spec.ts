import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/child-instances.js';
import { RegistryFixture } from '../support/registry.js';
import { sleep, uniqueNamespace, waitFor } from '../support/wait.js';
import { ZooKeeperTestingServer } from '../../lib/testing/index.js';

// A process that did not run for two thirds of its session timeout (frozen, or its loop
// blocked) must not act on the session it had: the server may have expired it meanwhile.

const SESSION_TIMEOUT_MS = 3_000;
let server: ZooKeeperTestingServer;
const registries = new RegistryFixture(() => server.connectString);
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  server = await ZooKeeperTestingServer.start();
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  if (server.pid) process.kill(server.pid, 'SIGCONT');
  await registries.closeAll();
});
afterAll(() => server?.close());

type ChildMessage = { event: string; [key: string]: unknown };

describe('a stalled process and its session', () => {
  it('a loop blocked past two thirds of the session timeout reports not connected before any timer runs', async () => {
    const center = await registries.open({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    expect(center.isConnected).toBe(true);
    const until = performance.now() + (SESSION_TIMEOUT_MS * 2) / 3 + 300;
    while (performance.now() < until) {
      // Blocks the event loop: no timer, no I/O.
    }
    expect(center.isConnected).toBe(false);
  });

  it('a reply that comes in at a thaw, for a request sent before the freeze, is refused: the session is ended first', async () => {
    const namespace = uniqueNamespace('stall');
    const messages: ChildMessage[] = [];
    const child = fork(resolve(import.meta.dirname, '../support/registry-child.mjs'), [], {
      env: {
        ...process.env,
        ZK: server.connectString,
        NAMESPACE: namespace,
        SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(child);
    child.on('message', (message: ChildMessage) => messages.push(message));
    const seen = (event: string) => messages.find((message) => message.event === event);
    await waitFor('the child connected', () => seen('ready'), 30_000);

    // The server frozen: the request goes out and waits in its socket, unanswered.
    process.kill(server.pid!, 'SIGSTOP');
    child.send('create');
    await waitFor('the request sent', () => seen('requested'), 10_000);
    await sleep(300);
    // The child frozen, the server thawed: the reply waits in the child's socket while the
    // server expires the child's silent session.
    child.kill('SIGSTOP');
    process.kill(server.pid!, 'SIGCONT');
    const observer = await registries.open({ namespace });
    await waitFor('the server created the node', () => observer.isExisted('/fence'), 20_000, 50);
    // Gone with the session that the server expired (nothing was heard from the child).
    await waitFor(
      "the child's session expired",
      async () => !(await observer.isExisted('/fence')),
      SESSION_TIMEOUT_MS + 20_000,
      100,
    );
    child.kill('SIGCONT');

    const outcome = await waitFor(
      'the outcome of the request',
      () => messages.find((message) => message.event === 'created' || message.event === 'refused'),
      SESSION_TIMEOUT_MS + 15_000,
    );
    expect(outcome).toEqual({ event: 'refused', name: 'RegistrySessionExpiredError' });
    await waitFor('LOST reported', () => messages.some((m) => m.event === 'state' && m.state === 'LOST'), 15_000);
  }, 90_000);
});
