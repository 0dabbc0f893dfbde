/**
 * A real PostgreSQL server for tests and the demo, on a loopback port with its own data
 * directory. It can be stopped, killed with SIGKILL and started again on the same data;
 * whatever is left running when this process exits is killed, as for the ZooKeeper servers.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertCanRunServer,
  locatePostgres,
  POSTGRES_INSTALL_HELP,
  type PostgresInstallation,
} from './postgres-installation.js';
import { freePort, trackServerProcess } from './server-process.js';

const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const GONE_TIMEOUT_MS = 10_000;
const LOG_ENV = 'POSTGRES_TESTING_LOG';
const READY_LINE = /database system is ready to accept (read-only )?connections/;

export interface PostgresTestingServerOptions {
  /** Port on 127.0.0.1. Default: a free port below the kernel's ephemeral range. */
  port?: number;
  /**
   * Data directory: used as it is when it already holds a database cluster, else created
   * with `initdb`; kept by `close()`. Default: a new temporary directory that `close()`
   * removes. A cluster made elsewhere must trust `postgres` on 127.0.0.1 for
   * `connectionString` to work.
   */
  dataDir?: string;
  /**
   * Start the server in its own process group, so a Ctrl-C in the terminal reaches only this
   * process, which then stops the server when it chooses. Default false.
   */
  detached?: boolean;
}

/**
 * One real PostgreSQL server on 127.0.0.1, tuned for tests (no fsync, no synchronous commit),
 * reached as the `postgres` superuser without a password. Needs a PostgreSQL installation
 * (`PG_BIN`, Debian's `postgresql` package, or `PATH`); see `ensurePostgres`. As root, the
 * server runs as the `postgres` system user.
 * @publicApi
 */
export class PostgresTestingServer {
  private child: ChildProcess | undefined;
  private output = '';
  private closing: Promise<void> | undefined;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    /** Holds the server's socket, and the data when no `dataDir` was given; removed by `close()`. */
    private readonly workDir: string,
    private readonly installation: PostgresInstallation,
    private readonly detached: boolean,
  ) {}

  /** Creates the data directory if needed, starts the server and waits until it accepts connections. */
  static async start(options: PostgresTestingServerOptions = {}): Promise<PostgresTestingServer> {
    const installation = locatePostgres();
    if (!installation) throw new Error(`PostgreSQL was not found.\n${POSTGRES_INSTALL_HELP}`);
    assertCanRunServer(installation);
    const port = options.port ?? (await freePort());
    const workDir = mkdtempSync(join(tmpdir(), 'elastic-job-pg-'));
    const server = new PostgresTestingServer(
      port,
      options.dataDir ?? join(workDir, 'data'),
      workDir,
      installation,
      options.detached ?? false,
    );
    try {
      await server.initDataDir();
      await server.startProcess();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  get connectionString(): string {
    return `postgres://${SUPERUSER}@${HOST}:${this.port}/postgres`;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** The postmaster's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server (again) on the same port and data, and waits until it accepts connections. */
  async startProcess(): Promise<void> {
    if (this.closing) throw new Error(`the PostgreSQL testing server on port ${this.port} is closed`);
    if (this.child) return;
    this.output = '';
    const child = spawn(
      this.installation.postgres,
      [
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-k',
        this.workDir,
        '-c',
        `listen_addresses=${HOST}`,
        // Tests need no durability across a power cut; a kill -9 keeps the OS cache.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        // The ready line is matched in English, whatever the cluster's locale.
        '-c',
        'lc_messages=C',
      ],
      { ...this.spawnOptions(), stdio: ['ignore', 'pipe', 'pipe'], detached: this.detached },
    );
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8_000);
      if (READY_LINE.test(this.output)) markReady();
      if (process.env[LOG_ENV]) process.stderr.write(`[pg:${this.port}] ${chunk.toString()}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    trackServerProcess(child, 'postgres');
    const forget = () => {
      if (this.child === child) this.child = undefined;
    };
    child.on('exit', forget);
    child.on('error', forget);
    this.child = child;
    await this.waitUntilReady(child, ready);
  }

  /**
   * Waits for the server's "ready to accept connections" line, then proves it with a
   * connection; a server that exits or stays silent past the bound is killed and reported
   * with its last output.
   */
  private async waitUntilReady(child: ChildProcess, ready: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const failure = await Promise.race([
      ready.then(() => undefined),
      new Promise<string>((resolve) => {
        // 'close' comes once its output is read to the end, which holds the reason it failed.
        child.once('close', (code, signal) => resolve(`exited (${signal ?? `code ${code}`}) while starting`));
        child.once('error', (error) => resolve(`could not be started (${error.message})`));
      }),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`did not accept connections within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!failure && (await acceptsConnection(this.port))) return;
    await this.kill();
    const reason = failure ?? 'reported ready but refused a connection';
    throw new Error(`PostgreSQL on port ${this.port} ${reason}:\n${this.output}`);
  }

  /** Fast shutdown (SIGINT): clients are disconnected, the data is kept; resolves once the server is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pid = child.pid;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let leftovers: number[] = [];
    child.kill('SIGINT');
    const timer = setTimeout(() => (leftovers = killServerProcesses(pid)), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    await waitUntilGone(leftovers);
  }

  /**
   * `kill -9` of the server and all its processes, as in a crash: the data is kept, and the
   * next start recovers it. Resolves once every process of the server is gone.
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const children = killServerProcesses(child.pid);
    await exited;
    await waitUntilGone(children);
  }

  /** Stops the server and removes the files it created (a given `dataDir` is kept). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.stop().finally(() => rmSync(this.workDir, { recursive: true, force: true }));
    return this.closing;
  }

  private async initDataDir(): Promise<void> {
    const user = this.installation.runAs;
    // The server's own account must reach the socket folder and own the data.
    if (user) chownSync(this.workDir, user.uid, user.gid);
    if (existsSync(join(this.dataDir, 'PG_VERSION'))) return;
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (user) chownSync(this.dataDir, user.uid, user.gid);
    const args = ['-D', this.dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    const { code, output } = await run(this.installation.initdb, args, this.spawnOptions());
    if (code !== 0) throw new Error(`initdb failed (${code}) for ${this.dataDir}:\n${output}`);
  }

  /** As the server's account when we are root, from a folder that account can read. */
  private spawnOptions(): SpawnOptions {
    const user = this.installation.runAs;
    return {
      cwd: this.workDir,
      env: { ...process.env, LC_ALL: 'C' },
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    };
  }
}

/** Runs a program to its end within the start bound; resolves with its exit code and output. */
function run(
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', output });
    });
  });
}

function acceptsConnection(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/**
 * SIGKILLs the postmaster and its children (backends, checkpointer, writers...); returns the
 * children's pids. Children left alive would keep the shared memory and block the next start.
 */
function killServerProcesses(postmaster: number): number[] {
  // Stopped first, it forks nothing between the listing of its children and their kill.
  signal(postmaster, 'SIGSTOP');
  const children = childrenOf(postmaster);
  for (const pid of [postmaster, ...children]) signal(pid, 'SIGKILL');
  return children;
}

/** A process's `/proc/<pid>/stat` fields after the command name (state, ppid, ...), if it exists. */
function statFields(pid: string | number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Direct children of a process (Linux; elsewhere none are found and the postmaster's death ends them). */
function childrenOf(parent: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((name) => /^\d+$/.test(name) && statFields(name)?.[1] === String(parent)).map(Number);
}

async function waitUntilGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  for (;;) {
    const alive = pids.filter((pid) => {
      const state = statFields(pid)?.[0];
      return state !== undefined && state !== 'Z';
    });
    if (alive.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL processes ${alive.join(', ')} were still alive ${GONE_TIMEOUT_MS} ms after SIGKILL`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
