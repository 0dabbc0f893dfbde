/**
 * What every testing server shares: a free loopback port, and the promise that no server
 * process outlives the process that started it. Whatever is left running when this process
 * exits is killed; a watchdog kills it even when this process dies hard. With
 * `ELASTIC_JOB_TESTING_PID_DIR` set, each server's pid is also written there as an empty
 * file, so a test runner's global teardown can kill servers of a worker that died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const HOST = '127.0.0.1';
const PID_DIR_ENV = 'ELASTIC_JOB_TESTING_PID_DIR';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Kills the server when this process dies, however it dies (a `kill -9` of a test runner
 * included, which runs no exit hook): a shell waits for the end of a pipe whose writing end
 * only this process holds, and kills the server when it comes.
 */
function killWithThisProcess(server: ChildProcess, name: string): void {
  if (!server.pid || process.platform === 'win32') return;
  const watchdog = spawn(
    '/bin/sh',
    ['-c', 'read -r line; kill -9 "$1" 2>/dev/null', `${name}-watchdog`, String(server.pid)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  server.once('exit', () => watchdog.kill('SIGKILL'));
}

/** Records a pid where the run's global teardown finds it, even if this process dies hard. */
function recordPid(pid: number): void {
  const dir = process.env[PID_DIR_ENV];
  if (dir) writeFileSync(join(dir, String(pid)), '');
}

function forgetPid(pid: number | undefined): void {
  const dir = process.env[PID_DIR_ENV];
  if (dir && pid) rmSync(join(dir, String(pid)), { force: true });
}

/**
 * Makes sure a just spawned server process dies with this process (exit hook, watchdog, pid
 * file for the global teardown) and forgets it once it has exited. `name` names the watchdog
 * in process listings.
 */
export function trackServerProcess(child: ChildProcess, name: string): void {
  installExitHook();
  running.add(child);
  killWithThisProcess(child, name);
  if (child.pid) recordPid(child.pid);
  child.once('exit', () => {
    running.delete(child);
    forgetPid(child.pid);
  });
}

/**
 * A free loopback port below the kernel's ephemeral range, so that no outgoing connection can
 * take it as its local port between a stop and a restart of the server that owns it.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const ceiling = Math.max(low - 1, 2_000);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 1_500 + Math.floor(Math.random() * (ceiling - 1_500));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found below the ephemeral range');
}

const handedOut = new Set<number>();

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux
  }
  return [32_768, 60_999];
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}
