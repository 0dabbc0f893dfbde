/**
 * Real ZooKeeper servers for tests, benchmarks and the demo: standalone or an ensemble on
 * loopback ports, each with its own data directory. Servers can be stopped, killed with
 * SIGKILL and restarted on the same data; whatever is left running when the process exits is
 * killed. With `ELASTIC_JOB_TESTING_PID_DIR` set, each server's pid is also written there as
 * an empty file, so a test runner's global teardown can kill servers of a worker that died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZkConnection } from '../registry/zookeeper.client.js';
import { freePort, trackServerProcess } from './server-process.js';
import { INSTALL_HELP, locateZooKeeper } from './zookeeper-installation.js';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const SLF4J_SIMPLE = '/usr/share/java/slf4j-simple.jar';
const LOG_ENV = 'ZOOKEEPER_TESTING_LOG';

/** Sends a four-letter-word command and returns the whole reply. */
export function fourLetterWord(port: number, command: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`${command} timed out on port ${port}`)));
    socket.on('connect', () => socket.write(command));
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a client session can be made within `timeoutMs`. */
async function acceptsSession(connectString: string, timeoutMs = 3_000): Promise<boolean> {
  const probe = new ZkConnection({ connect: connectString, sessionTimeoutMs: 4_000 });
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      probe.once('connected', () => {
        clearTimeout(timer);
        resolve(true);
      });
      probe.once('closed', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  } finally {
    probe.close();
  }
}

/** The figures of `mntr` the tests and benchmarks count with. */
export interface MntrFigures {
  serverState: string;
  packetsReceived: number;
  packetsSent: number;
  watchCount: number;
  znodeCount: number;
  ephemeralsCount: number;
  aliveConnections: number;
  raw: Record<string, string>;
}

export function parseMntr(text: string): MntrFigures {
  const raw: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split('\t');
    if (key && value !== undefined) raw[key.trim()] = value.trim();
  }
  const num = (key: string) => Number(raw[key] ?? NaN);
  return {
    serverState: raw.zk_server_state ?? 'unknown',
    packetsReceived: num('zk_packets_received'),
    packetsSent: num('zk_packets_sent'),
    watchCount: num('zk_watch_count'),
    znodeCount: num('zk_znode_count'),
    ephemeralsCount: num('zk_ephemerals_count'),
    aliveConnections: num('zk_num_alive_connections'),
    raw,
  };
}

export interface ZooKeeperTestingServerOptions {
  /** Client port on 127.0.0.1. Default: a free port below the kernel's ephemeral range. */
  port?: number;
  /**
   * Data directory (created if missing, kept by `close()`). Default: a new temporary
   * directory that `close()` removes.
   */
  dataDir?: string;
  /** ZooKeeper's tick; session expiry is checked at this granularity. Default 200 ms. */
  tickTimeMs?: number;
  /** Default 1000 ms, so tests can use short session timeouts. */
  minSessionTimeoutMs?: number;
  /** Default 120000 ms. */
  maxSessionTimeoutMs?: number;
  /** JVM heap limit in MB. Default 256. */
  maxHeapMb?: number;
  /**
   * Start the JVM in its own process group, so a Ctrl-C in the terminal reaches only this
   * process, which then stops the server when it chooses. Default false.
   */
  detached?: boolean;
}

interface PeerAddress {
  id: number;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
}

/**
 * One real ZooKeeper server process on 127.0.0.1 (standalone, or a member of a
 * `ZooKeeperTestingCluster`), like Curator's `TestingServer`. Needs Java and a ZooKeeper
 * installation (`ZOOKEEPER_HOME`, or Debian's `zookeeper` package); see `ensureZooKeeper`.
 * @publicApi
 */
export class ZooKeeperTestingServer {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    /** Holds zoo.cfg, and the data when no `dataDir` was given; removed by `close()`. */
    private readonly workDir: string,
    private readonly mainClass: string,
    private readonly maxHeapMb: number,
    private readonly detached: boolean,
  ) {}

  /** Starts a standalone server and waits until it serves clients. */
  static async start(options: ZooKeeperTestingServerOptions = {}): Promise<ZooKeeperTestingServer> {
    const port = options.port ?? (await freePort());
    const server = ZooKeeperTestingServer.create(port, options, undefined);
    await server.startProcess();
    return server;
  }

  /** @internal used by the cluster */
  static create(
    port: number,
    options: ZooKeeperTestingServerOptions,
    peers: { self: PeerAddress; all: PeerAddress[] } | undefined,
  ): ZooKeeperTestingServer {
    const workDir = mkdtempSync(join(tmpdir(), 'elastic-job-zk-'));
    const dataDir = options.dataDir ?? join(workDir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const lines = [
      `tickTime=${options.tickTimeMs ?? 200}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      `clientPortAddress=${HOST}`,
      `minSessionTimeout=${options.minSessionTimeoutMs ?? 1_000}`,
      `maxSessionTimeout=${options.maxSessionTimeoutMs ?? 120_000}`,
      'maxClientCnxns=0',
      'admin.enableServer=false',
      '4lw.commands.whitelist=*',
      // Tests write a lot and need no durability across a power cut; a kill -9 keeps the OS cache.
      'forceSync=no',
    ];
    if (peers) {
      writeFileSync(join(dataDir, 'myid'), String(peers.self.id));
      lines.push('initLimit=25', 'syncLimit=5', 'electionPortBindRetry=100');
      for (const peer of peers.all) {
        lines.push(`server.${peer.id}=${HOST}:${peer.quorumPort}:${peer.electionPort}`);
      }
    }
    writeFileSync(join(workDir, 'zoo.cfg'), `${lines.join('\n')}\n`);
    const mainClass = peers
      ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain'
      : 'org.apache.zookeeper.server.ZooKeeperServerMain';
    return new ZooKeeperTestingServer(
      port,
      dataDir,
      workDir,
      mainClass,
      options.maxHeapMb ?? 256,
      options.detached ?? false,
    );
  }

  get connectString(): string {
    return `${HOST}:${this.port}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the JVM; with `waitUntilServing`, resolves once the server answers requests. */
  async startProcess(waitUntilServing = true): Promise<void> {
    if (this.child) return;
    const installation = locateZooKeeper();
    if (!installation) throw new Error(`ZooKeeper was not found.\n${INSTALL_HELP}`);
    this.output = '';
    const child = spawn(
      installation.java,
      [
        '-Xms32m',
        `-Xmx${this.maxHeapMb}m`,
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.net.preferIPv4Stack=true',
        '-Dzookeeper.admin.enableServer=false',
        '-Dzookeeper.4lw.commands.whitelist=*',
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        // ZOOKEEPER_TESTING_LOG=1 shows the server's own log (Debian ships the binding it needs).
        process.env[LOG_ENV] && existsSync(SLF4J_SIMPLE)
          ? `${installation.classpath}:${SLF4J_SIMPLE}`
          : installation.classpath,
        this.mainClass,
        join(this.workDir, 'zoo.cfg'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: this.detached },
    );
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8_000);
      if (process.env[LOG_ENV]) process.stderr.write(`[zk:${this.port}] ${chunk.toString()}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    trackServerProcess(child, 'zookeeper');
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    this.child = child;
    if (waitUntilServing) await this.waitUntilServing();
  }

  /** Waits until `srvr` reports a mode (standalone, leader or follower) and a session can be made. */
  async waitUntilServing(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) {
        throw new Error(`ZooKeeper on port ${this.port} exited while starting:\n${this.output}`);
      }
      try {
        // A mode means it serves; a session made proves it (a restarted follower can report
        // its mode a moment before it answers clients).
        if (
          (await fourLetterWord(this.port, 'srvr', 1_000)).includes('Mode:') &&
          (await acceptsSession(this.connectString))
        )
          return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`ZooKeeper on port ${this.port} did not serve within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Graceful stop (SIGTERM); resolves when the process is gone. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  /** `kill -9`: the server dies without closing anything. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** Starts again on the same port and data directory (after `stop()` or `kill()`). */
  async restart(): Promise<void> {
    await this.startProcess();
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  /** The server's `mntr` figures (requests received, watches, nodes, ...). */
  async mntr(): Promise<MntrFigures> {
    return parseMntr(await fourLetterWord(this.port, 'mntr'));
  }

  /** `standalone`, `leader`, `follower`, or `down`. */
  async mode(): Promise<string> {
    const reply = await fourLetterWord(this.port, 'srvr', 1_000).catch(() => '');
    return /Mode: (\w+)/.exec(reply)?.[1] ?? 'down';
  }

  /** Kills the server and removes the files it created (a given `dataDir` is kept). */
  async close(): Promise<void> {
    await this.kill();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

export interface ZooKeeperTestingClusterOptions extends Omit<ZooKeeperTestingServerOptions, 'port' | 'dataDir'> {
  /** Number of servers. Default 3. */
  size?: number;
}

/**
 * A ZooKeeper ensemble on loopback ports (Curator's `TestingCluster`): servers can be stopped,
 * killed and restarted one by one to test quorum loss and leader changes.
 * @publicApi
 */
export class ZooKeeperTestingCluster {
  private constructor(readonly servers: ZooKeeperTestingServer[]) {}

  static async start(options: ZooKeeperTestingClusterOptions = {}): Promise<ZooKeeperTestingCluster> {
    const peers: PeerAddress[] = [];
    for (let id = 1; id <= (options.size ?? 3); id += 1) {
      peers.push({ id, clientPort: await freePort(), quorumPort: await freePort(), electionPort: await freePort() });
    }
    const servers = peers.map((self) => ZooKeeperTestingServer.create(self.clientPort, options, { self, all: peers }));
    await Promise.all(servers.map((server) => server.startProcess(false)));
    await Promise.all(servers.map((server) => server.waitUntilServing()));
    return new ZooKeeperTestingCluster(servers);
  }

  get connectString(): string {
    return this.servers.map((server) => server.connectString).join(',');
  }

  /** Index of the current quorum leader, or -1. */
  async leaderIndex(): Promise<number> {
    const modes = await Promise.all(this.servers.map((server) => server.mode()));
    return modes.indexOf('leader');
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.close()));
  }
}

/**
 * Expires a client's session the way ZooKeeper's own tests do: a second client joins the
 * same session (id and password) and closes it, which ends the session for both. The client
 * under test reconnects within milliseconds and may win the session back before the close
 * lands (the close is then refused as "session moved"), so this repeats until the server
 * refuses to let a client join the session: it is gone.
 */
export async function expireSession(
  connectString: string,
  session: { id: string; password: string },
  attempts = 20,
): Promise<void> {
  // Only the server refusing to join the session proves it is gone: a session missing from
  // the connection lists may just be between two connections of its owner.
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if ((await joinAndClose(connectString, session)) === 'gone') return;
    await sleep(300);
  }
  throw new Error(`session 0x${session.id} survived ${attempts} attempts to expire it`);
}

async function joinAndClose(
  connectString: string,
  session: { id: string; password: string },
): Promise<'closed' | 'gone'> {
  const intruder = new ZkConnection({ connect: connectString, sessionTimeoutMs: 30_000, session });
  try {
    return await new Promise<'closed' | 'gone'>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`could not join session 0x${session.id}`)), 10_000);
      intruder.once('connected', () => {
        clearTimeout(timer);
        resolve('closed');
      });
      intruder.once('closed', () => {
        clearTimeout(timer);
        resolve('gone');
      });
    });
  } finally {
    intruder.close();
  }
}
