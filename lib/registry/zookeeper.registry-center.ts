import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Logger, type LoggerService } from '@nestjs/common';
import {
  CONNECTION_AT_RISK,
  CONNECTION_BACK,
  CONNECTION_LOST,
  SESSION_EXPIRED,
  SESSION_RENEWED,
} from '../elastic-job.messages.js';
import { LockLostError } from '../errors/lock-lost.error.js';
import { LockTimeoutError } from '../errors/lock-timeout.error.js';
import { RegistryCenterUnavailableError } from '../errors/registry-center-unavailable.error.js';
import {
  RegistryAccessDeniedError,
  RegistryClosedError,
  RegistryNotConnectedError,
  RegistryOperationError,
  RegistrySessionExpiredError,
} from '../errors/registry-operation.error.js';
import { findOwnLatchChild, latchNodePrefix, sortLatchChildren } from './curator-latch.js';
import type {
  TreeCacheOptions,
  ConnectionStateChange,
  ConnectionStateListener,
  NodeData,
  NodeStat,
  SessionBound,
  RegistryCenter,
  TreeCache,
  ZookeeperConfiguration,
} from './registry-center.interface.js';
import { assertRegistryKey, isUnder, joinKey, reverseLexicographic } from './registry-keys.js';
import { ZK, ZkCodeError, ZkConnection, zkCodeName, type ZkStat } from './zookeeper.client.js';
import { ZookeeperTreeCache, type CacheSource } from './zookeeper-tree.cache.js';
import { resolveZookeeperConfiguration } from '../config/zookeeper-options.js';

type Phase = 'IDLE' | 'CONNECTING' | 'CONNECTED' | 'SUSPENDED' | 'LOST' | 'CLOSED';

const RETRIES_ON_CONNECTION_LOSS = 3;
const REOPEN_DELAY_MS = 500;
const LATCH_RELEASE_MAX_DELAY_MS = 2_000;
const STALL_CHECK_MS = 100;
/** Of the session timeout, after a drop: when the session is no longer counted on (AT_RISK). */
const AT_RISK_FRACTION = 0.6;

/**
 * ElasticJob's registry center on the `zookeeper` (C client) package: one session shared by
 * every job, paths under `/{namespace}`, Curator's semantics where ElasticJob relies on them.
 *
 * Session handling: a dropped connection is `SUSPENDED` (the session and its ephemeral nodes
 * may be alive); a reconnect within the session is `RECONNECTED`; an expiry reported by the
 * server, or a whole session timeout without a connection, is `LOST`, after which a new
 * session is opened at once, without end, and announced as `RECONNECTED` with `newSession`.
 * Ephemeral nodes are re-created by their owners, who listen to these states.
 */
export class ZookeeperRegistryCenter implements RegistryCenter, CacheSource {
  readonly namespace: string;
  readonly serverLists: string;
  readonly logger: LoggerService;
  private readonly sessionTimeoutMs: number;
  private readonly connectionTimeoutMs: number;
  private readonly digest: string | undefined;

  private conn: ZkConnection | undefined;
  private phase: Phase = 'IDLE';
  private sessionGeneration = 0;
  private suspendTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private suspendedAt = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  private atRiskTimer: NodeJS.Timeout | undefined;
  private readonly phaseChanges = new EventEmitter();
  private readonly stateListeners = new Set<ConnectionStateListener>();
  private readonly caches = new Map<string, ZookeeperTreeCache>();
  private readonly startingCaches = new Map<string, Promise<ZookeeperTreeCache>>();
  private readonly requests = new Map<string, number>();

  constructor(config: ZookeeperConfiguration, logger?: LoggerService) {
    const valid = resolveZookeeperConfiguration(config);
    this.namespace = valid.namespace;
    this.serverLists = valid.serverLists;
    this.sessionTimeoutMs = valid.sessionTimeoutMs;
    this.connectionTimeoutMs = valid.connectionTimeoutMs;
    this.digest = valid.digest;
    // Every call names its context, so the default logger carries none (Nest would print it twice).
    this.logger = logger ?? new Logger();
    this.phaseChanges.setMaxListeners(0);
  }

  /**
   * Requests sent to ZooKeeper since `init()`, by operation (`create`, `delete`, `getData`,
   * `getChildren`, `exists`, `setData`, ...), over every session: what this instance costs
   * the ensemble, for monitoring and benchmarks. Pings are not requests.
   */
  requestCounts(): Record<string, number> {
    return Object.fromEntries([...this.requests].sort(([a], [b]) => a.localeCompare(b)));
  }

  get generation(): number {
    return this.sessionGeneration;
  }

  get sessionId(): string | undefined {
    return this.conn && this.phase !== 'IDLE' && this.phase !== 'CONNECTING' ? this.conn.sessionId : undefined;
  }

  /** Id and password of the current session (what a test needs to expire it). */
  get sessionCredentials(): { id: string; password: string } | undefined {
    const conn = this.conn;
    if (!conn || this.phase === 'IDLE' || this.phase === 'CONNECTING' || this.phase === 'CLOSED') return undefined;
    return { id: conn.sessionId, password: conn.sessionPassword };
  }

  private get closed(): boolean {
    return this.phase === 'CLOSED';
  }

  get isConnected(): boolean {
    return this.phase === 'CONNECTED';
  }

  connection(): ZkConnection {
    if (!this.conn || this.phase === 'CLOSED') throw new ZkCodeError(ZK.CLOSING, 'use', this.namespace);
    return this.conn;
  }

  toPath(key: string): string {
    return key === '/' ? `/${this.namespace}` : `/${this.namespace}${key}`;
  }

  private toKey(path: string): string {
    const prefix = `/${this.namespace}`;
    return path === prefix ? '/' : path.slice(prefix.length);
  }

  // ---------------------------------------------------------------- lifecycle

  async init(): Promise<void> {
    if (this.phase !== 'IDLE') return;
    this.phase = 'CONNECTING';
    this.openSession();
    try {
      await this.waitForPhase('CONNECTED', this.connectionTimeoutMs);
    } catch (error) {
      this.phase = 'CLOSED';
      this.conn?.close();
      throw new RegistryCenterUnavailableError(this.serverLists, this.namespace, this.connectionTimeoutMs, error);
    }
    try {
      await this.prepareSession(this.connection());
    } catch (error) {
      await this.close();
      if (error instanceof RegistryOperationError) throw error;
      throw new RegistryCenterUnavailableError(this.serverLists, this.namespace, this.connectionTimeoutMs, error);
    }
    this.notify({ state: 'CONNECTED', sessionId: this.connection().sessionId, newSession: false });
    this.watchForStalls();
  }

  /**
   * The client library runs on this process's event loop: while the process is frozen
   * (SIGSTOP, a paused VM) or its loop blocked, it sends no heartbeat, and the server expires
   * the session after its timeout. When the process runs again it would learn that only after
   * a reconnect, and meanwhile run what was overdue on a session that is gone. So a stall of
   * two thirds of the session timeout (past which the client itself gives the connection up)
   * ends the session here, at once, before any timer due later than STALL_CHECK_MS into the
   * stall runs on it (a job's fire, a handler's own timer). What was already running, or is
   * called back by I/O first, may run a moment before.
   */
  private watchForStalls(): void {
    const limit = Math.floor((this.sessionTimeoutMs * 2) / 3);
    let last = performance.now();
    this.stallTimer = setInterval(() => {
      const now = performance.now();
      // Monotonic: a step of the wall clock is no stall.
      const stall = Math.round(now - last - STALL_CHECK_MS);
      last = now;
      if (stall < limit || (this.phase !== 'CONNECTED' && this.phase !== 'SUSPENDED')) return;
      this.expire(
        `this process did not run for ${stall} ms (frozen, or its event loop blocked), so no heartbeat went out ` +
          `for ${Math.round((stall / this.sessionTimeoutMs) * 100)}% of the session timeout`,
      );
    }, STALL_CHECK_MS);
    this.stallTimer.unref();
  }

  async close(): Promise<void> {
    if (this.phase === 'CLOSED') return;
    this.phase = 'CLOSED';
    this.clearSuspendTimer();
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    for (const cache of this.caches.values()) cache.close();
    this.caches.clear();
    this.conn?.close();
    this.phaseChanges.emit('change');
    this.stateListeners.clear();
  }

  addConnectionStateListener(listener: ConnectionStateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private openSession(): void {
    const generation = ++this.sessionGeneration;
    const conn = new ZkConnection({
      connect: this.serverLists,
      sessionTimeoutMs: this.sessionTimeoutMs,
      requestCounts: this.requests,
    });
    this.conn = conn;
    conn.on('connected', () => this.onConnected(generation));
    conn.on('connecting', () => this.onConnecting(generation));
    conn.on('closed', (code: number) => this.onClosed(generation, code));
  }

  /** Auth and the namespace root, before anything else runs on a session. */
  private async prepareSession(conn: ZkConnection): Promise<void> {
    if (this.digest) await conn.addAuth('digest', this.digest);
    await this.ensureNode(conn, this.toPath('/'));
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    this.phaseChanges.emit('change');
  }

  private onConnected(generation: number): void {
    if (generation !== this.sessionGeneration || this.phase === 'CLOSED') return;
    this.clearSuspendTimer();
    const previous = this.phase;
    if (previous === 'CONNECTING') {
      this.setPhase('CONNECTED');
      return;
    }
    if (previous === 'SUSPENDED') {
      this.setPhase('CONNECTED');
      this.logger.log(
        CONNECTION_BACK(this.namespace, this.connection().sessionId, Date.now() - this.suspendedAt),
        ZookeeperRegistryCenter.name,
      );
      this.notify({ state: 'RECONNECTED', sessionId: this.connection().sessionId, newSession: false });
      for (const cache of this.caches.values()) cache.onReconnected();
      return;
    }
    if (previous === 'LOST') {
      const conn = this.connection();
      this.prepareSession(conn).then(
        () => {
          if (generation !== this.sessionGeneration || this.phase === 'CLOSED') return;
          this.logger.log(SESSION_RENEWED(this.namespace, conn.sessionId), ZookeeperRegistryCenter.name);
          this.setPhase('CONNECTED');
          for (const cache of this.caches.values()) cache.onNewSession();
          this.notify({ state: 'RECONNECTED', sessionId: conn.sessionId, newSession: true });
        },
        (error: unknown) => {
          if (generation !== this.sessionGeneration || this.phase === 'CLOSED') return;
          this.expire(`preparing the new session failed: ${String(error)}`);
        },
      );
    }
  }

  private onConnecting(generation: number): void {
    if (generation !== this.sessionGeneration || this.phase !== 'CONNECTED') return;
    this.setPhase('SUSPENDED');
    this.suspendedAt = Date.now();
    const sessionId = this.connection().sessionId;
    const atRiskMs = Math.floor(this.sessionTimeoutMs * AT_RISK_FRACTION);
    this.logger.warn(
      CONNECTION_LOST(this.serverLists, this.namespace, sessionId, atRiskMs, this.sessionTimeoutMs),
      ZookeeperRegistryCenter.name,
    );
    this.notify({ state: 'SUSPENDED', sessionId, newSession: false });
    // The server may expire the session a timeout after it last heard from us. A connection
    // refused or closed is seen at once, and the client pinged at most a third of the timeout
    // before: short of two thirds of the timeout from now, the session can no longer be
    // counted on. (A connection that went silent is given up by the client only two thirds of
    // the timeout after it last heard from the server: then the margin is a third less.) The
    // binding retries a connection every third of the timeout: AT_RISK comes clearly before
    // the second retry, so whether an outage stops the items does not depend on a race.
    this.atRiskTimer = setTimeout(
      () => {
        if (generation === this.sessionGeneration && this.phase === 'SUSPENDED') {
          this.logger.warn(CONNECTION_AT_RISK(this.namespace, atRiskMs), ZookeeperRegistryCenter.name);
          this.notify({ state: 'AT_RISK', sessionId, newSession: false });
        }
      },
      Math.floor(this.sessionTimeoutMs * AT_RISK_FRACTION),
    );
    this.atRiskTimer.unref();
    // The server expires a silent session after its timeout; past that, waiting for the same
    // session again only delays the recovery.
    this.suspendTimer = setTimeout(
      () => this.expire(`no connection for ${this.sessionTimeoutMs} ms, the session timeout`),
      this.sessionTimeoutMs,
    );
    this.suspendTimer.unref();
  }

  private onClosed(generation: number, code: number): void {
    if (generation !== this.sessionGeneration || this.phase === 'CLOSED' || this.phase === 'IDLE') return;
    if (this.phase === 'CONNECTING' || this.phase === 'LOST') {
      // A handle that never got a session gave up (the client library closes a handle that
      // keeps getting nothing from a dead server): try again with a fresh one.
      this.reopenTimer = setTimeout(() => {
        this.reopenTimer = undefined;
        if (generation === this.sessionGeneration && this.phase !== 'CLOSED') this.openSession();
      }, REOPEN_DELAY_MS);
      return;
    }
    const reason =
      code === ZK.EXPIRED_SESSION_STATE
        ? 'the server expired it'
        : code === ZK.AUTH_FAILED_STATE
          ? 'authentication failed'
          : `the client closed with ${zkCodeName(code)}`;
    this.expire(reason);
  }

  private expire(reason: string): void {
    if (this.phase === 'CLOSED' || this.phase === 'LOST') return;
    this.clearSuspendTimer();
    const old = this.conn;
    const oldId = old?.sessionId ?? '0';
    this.logger.warn(SESSION_EXPIRED(this.namespace, oldId, reason), ZookeeperRegistryCenter.name);
    this.setPhase('LOST');
    // The old handle is closed before the new one is made. Made first, right after a freeze
    // (the old handle's socket dead but not yet closed, its poll handle still registered), the
    // new handle's first poll aborted the process (`uv_poll_start: Assertion
    // !uv__is_closing(handle)`, inside the binding's `init`): 3 crashes in 3 tries of a few
    // freezes each; closed first, none in 14.
    // Its own `closed` event (emitted as it closes) belongs to a generation that is over.
    this.sessionGeneration += 1;
    old?.close();
    this.openSession();
    this.notify({ state: 'LOST', sessionId: oldId, newSession: false, reason });
  }

  private clearSuspendTimer(): void {
    if (this.suspendTimer) clearTimeout(this.suspendTimer);
    if (this.atRiskTimer) clearTimeout(this.atRiskTimer);
    this.suspendTimer = undefined;
    this.atRiskTimer = undefined;
  }

  private notify(change: ConnectionStateChange): void {
    for (const listener of this.stateListeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error(
          `A connection state listener threw on ${change.state}: ${String(error)}`,
          error instanceof Error ? error.stack : undefined,
          ZookeeperRegistryCenter.name,
        );
      }
    }
  }

  /** Resolves when the phase is `wanted`; rejects on timeout, close, or (if given) a new session. */
  private waitForPhase(wanted: Phase, timeoutMs: number, generation?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (generation !== undefined && generation !== this.sessionGeneration) {
          finish(new Error('session changed'));
          return true;
        }
        if (this.phase === wanted) {
          finish();
          return true;
        }
        if (this.phase === 'CLOSED') {
          finish(new Error('registry center closed'));
          return true;
        }
        return false;
      };
      const onChange = (): void => {
        check();
      };
      const timer = setTimeout(() => finish(new Error(`not ${wanted.toLowerCase()} after ${timeoutMs} ms`)), timeoutMs);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.phaseChanges.off('change', onChange);
        if (error) reject(error);
        else resolve();
      };
      if (!check()) this.phaseChanges.on('change', onChange);
    });
  }

  // ---------------------------------------------------------------- operation plumbing

  /**
   * Runs one operation on the current session. Connection loss: wait for the connection
   * (bounded by the session timeout) and retry on the same session. A session that changed
   * meanwhile fails the operation: what it did may belong to a session that no longer exists.
   */
  private async run<T>(
    operation: string,
    key: string,
    fn: (conn: ZkConnection, path: string) => Promise<T>,
    bound?: SessionBound,
  ): Promise<T> {
    assertRegistryKey(key);
    const path = this.toPath(key);
    if (this.phase === 'CLOSED' || this.phase === 'IDLE') throw new RegistryClosedError(operation, path);
    if (bound?.session !== undefined && !this.isCurrentSession(bound.session)) {
      throw new RegistrySessionExpiredError(operation, path, ZK.SESSIONEXPIRED, 'SESSIONEXPIRED');
    }
    if (this.phase !== 'CONNECTED') {
      // Suspended: the operation belongs to the session we still hope to get back. Lost: to
      // the next session.
      const session = this.phase === 'SUSPENDED' ? this.sessionGeneration : undefined;
      await this.awaitConnection(operation, path, ZK.CONNECTIONLOSS, session);
    }
    const generation = this.sessionGeneration;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn(this.connection(), path);
      } catch (error) {
        if (!(error instanceof ZkCodeError)) throw error;
        if (this.closed) throw new RegistryClosedError(operation, path);
        const retriable = error.code === ZK.CONNECTIONLOSS || error.code === ZK.OPERATIONTIMEOUT;
        if (retriable && attempt < RETRIES_ON_CONNECTION_LOSS && generation === this.sessionGeneration) {
          await this.awaitConnection(operation, path, error.code, generation);
          continue;
        }
        throw this.translate(operation, error, generation);
      }
    }
  }

  /** Whether `session` is the session in use (connected, or suspended and hoping to resume). */
  private isCurrentSession(session: string): boolean {
    return (this.phase === 'CONNECTED' || this.phase === 'SUSPENDED') && this.conn?.sessionId === session;
  }

  private async awaitConnection(operation: string, path: string, code: number, generation?: number): Promise<void> {
    const bound = generation === undefined ? this.connectionTimeoutMs : this.sessionTimeoutMs;
    try {
      await this.waitForPhase('CONNECTED', bound, generation);
    } catch {
      if (this.phase === 'CLOSED') throw new RegistryClosedError(operation, path);
      if (generation !== undefined && generation !== this.sessionGeneration) {
        throw new RegistrySessionExpiredError(operation, path, ZK.SESSIONEXPIRED, 'SESSIONEXPIRED');
      }
      throw new RegistryNotConnectedError(operation, path, code, zkCodeName(code), bound);
    }
  }

  private translate(operation: string, error: ZkCodeError, generation: number): RegistryOperationError {
    const name = zkCodeName(error.code);
    if (error.code === ZK.NOAUTH)
      return new RegistryAccessDeniedError(operation, error.path, this.namespace, error.code);
    if (
      error.code === ZK.SESSIONEXPIRED ||
      error.code === ZK.INVALIDSTATE ||
      error.code === ZK.CLOSING ||
      generation !== this.sessionGeneration
    ) {
      return new RegistrySessionExpiredError(operation, error.path, error.code, name);
    }
    if (error.code === ZK.CONNECTIONLOSS || error.code === ZK.OPERATIONTIMEOUT) {
      return new RegistryNotConnectedError(operation, error.path, error.code, name, this.sessionTimeoutMs);
    }
    return new RegistryOperationError(operation, error.path, error.code, name);
  }

  /** Creates `path`, creating missing parents (persistent, empty) first. */
  private async createWithParents(conn: ZkConnection, path: string, data: string, mode: number): Promise<string> {
    try {
      const created = await conn.create(path, data, mode);
      await this.protect(conn, created);
      return created;
    } catch (error) {
      if (!(error instanceof ZkCodeError) || error.code !== ZK.NONODE) throw error;
    }
    await this.ensureNode(conn, path.slice(0, path.lastIndexOf('/')));
    const created = await conn.create(path, data, mode);
    await this.protect(conn, created);
    return created;
  }

  /** Makes sure a persistent node exists at `path` (and its parents): a create, usually. */
  private async ensureNode(conn: ZkConnection, path: string): Promise<void> {
    if (path === '' || path === '/') return;
    try {
      await conn.create(path, '', ZK.PERSISTENT);
      await this.protect(conn, path);
    } catch (error) {
      if (!(error instanceof ZkCodeError)) throw error;
      if (error.code === ZK.NODEEXISTS) return;
      if (error.code !== ZK.NONODE) throw error;
      await this.ensureNode(conn, path.slice(0, path.lastIndexOf('/')));
      await this.ensureNode(conn, path);
    }
  }

  /**
   * With a digest, a new node is given creator-only ACLs. The client library always creates
   * with an open ACL, so this is a second request: until it lands the node is world-readable
   * (its parents are not writable by others, so nothing else can be created beside it).
   */
  private async protect(conn: ZkConnection, path: string): Promise<void> {
    if (!this.digest) return;
    try {
      await conn.setAcl(path, -1, [{ perms: ZK.PERM_ALL, scheme: 'auth', auth: '' }]);
    } catch (error) {
      // An ephemeral node may already be gone again; nothing left to protect.
      if (!(error instanceof ZkCodeError) || error.code !== ZK.NONODE) throw error;
    }
  }

  private toNodeStat(stat: ZkStat): NodeStat {
    return {
      ctime: stat.ctime,
      mtime: stat.mtime,
      version: stat.version,
      numChildren: stat.numChildren,
      ephemeralOwner: stat.ephemeralOwner,
      czxid: stat.czxid,
      mzxid: stat.mzxid,
      pzxid: stat.pzxid,
    };
  }

  // ---------------------------------------------------------------- reads

  async get(key: string): Promise<string | null> {
    const cached = this.findCache(key)?.get(key);
    return cached !== undefined ? cached : this.getDirectly(key);
  }

  getDirectly(key: string): Promise<string | null> {
    return this.run('getData', key, async (conn, path) => {
      try {
        return (await conn.getData(path)).data;
      } catch (error) {
        if (error instanceof ZkCodeError && error.code === ZK.NONODE) return null;
        throw error;
      }
    });
  }

  getWithStat(key: string): Promise<NodeData | null> {
    return this.run('getData', key, async (conn, path) => {
      try {
        const { data, stat } = await conn.getData(path);
        return { data, stat: this.toNodeStat(stat) };
      } catch (error) {
        if (error instanceof ZkCodeError && error.code === ZK.NONODE) return null;
        throw error;
      }
    });
  }

  async isExisted(key: string): Promise<boolean> {
    return (await this.getStat(key)) !== null;
  }

  getStat(key: string): Promise<NodeStat | null> {
    return this.run('exists', key, async (conn, path) => {
      const stat = await conn.exists(path);
      return stat ? this.toNodeStat(stat) : null;
    });
  }

  getChildrenKeys(key: string): Promise<string[]> {
    return this.run('getChildren', key, async (conn, path) => {
      try {
        return reverseLexicographic((await conn.getChildren(path)).children);
      } catch (error) {
        if (error instanceof ZkCodeError && error.code === ZK.NONODE) return [];
        throw error;
      }
    });
  }

  async getNumChildren(key: string): Promise<number> {
    return (await this.getStat(key))?.numChildren ?? 0;
  }

  // ---------------------------------------------------------------- writes

  persist(key: string, value: string, bound?: SessionBound): Promise<void> {
    return this.run(
      'persist',
      key,
      async (conn, path) => {
        for (;;) {
          try {
            await conn.setData(path, value);
            return;
          } catch (error) {
            if (!(error instanceof ZkCodeError) || error.code !== ZK.NONODE) throw error;
          }
          try {
            await this.createWithParents(conn, path, value, ZK.PERSISTENT);
            return;
          } catch (error) {
            if (!(error instanceof ZkCodeError) || error.code !== ZK.NODEEXISTS) throw error;
          }
        }
      },
      bound,
    );
  }

  update(key: string, value: string): Promise<void> {
    return this.run('update', key, async (conn, path) => {
      await conn.setData(path, value);
    });
  }

  persistEphemeral(key: string, value: string, bound?: SessionBound): Promise<void> {
    return this.run(
      'persistEphemeral',
      key,
      async (conn, path) => {
        // Usually absent (one request); otherwise ours is updated and another's replaced.
        for (let attempt = 0; ; attempt += 1) {
          try {
            await this.createWithParents(conn, path, value, ZK.EPHEMERAL);
            return;
          } catch (error) {
            if (!(error instanceof ZkCodeError) || error.code !== ZK.NODEEXISTS || attempt >= 3) throw error;
          }
          const existing = await conn.exists(path);
          if (existing && existing.ephemeralOwner === conn.sessionId) {
            await conn.setData(path, value);
            return;
          }
          if (existing) {
            try {
              await conn.delete(path);
            } catch (error) {
              if (!(error instanceof ZkCodeError) || error.code !== ZK.NONODE) throw error;
            }
          }
        }
      },
      bound,
    );
  }

  async persistSequential(key: string, value: string): Promise<string> {
    return this.toKey(
      await this.run('persistSequential', key, (conn, path) =>
        this.createWithParents(conn, path, value, ZK.PERSISTENT_SEQUENTIAL),
      ),
    );
  }

  async persistEphemeralSequential(key: string, value = ''): Promise<string> {
    return this.toKey(
      await this.run('persistEphemeralSequential', key, (conn, path) =>
        this.createWithParents(conn, path, value, ZK.EPHEMERAL_SEQUENTIAL),
      ),
    );
  }

  createIfAbsent(key: string, value: string, ephemeral = false, bound?: SessionBound): Promise<boolean> {
    return this.run(
      'create',
      key,
      async (conn, path) => {
        try {
          await this.createWithParents(conn, path, value, ephemeral ? ZK.EPHEMERAL : ZK.PERSISTENT);
          return true;
        } catch (error) {
          if (!(error instanceof ZkCodeError) || error.code !== ZK.NODEEXISTS) throw error;
          if (ephemeral) {
            // A retried create whose first attempt landed: the node is ours.
            const stat = await conn.exists(path);
            return stat !== null && stat.ephemeralOwner === conn.sessionId;
          }
          // Persistent: whose it is (a landed first attempt of ours, or another's) is the
          // caller's to judge from the node.
          return false;
        }
      },
      bound,
    );
  }

  remove(key: string, bound?: SessionBound): Promise<void> {
    return this.run('remove', key, (conn, path) => this.removeRecursive(conn, path), bound);
  }

  removeIfVersion(key: string, version: number, bound?: SessionBound): Promise<boolean> {
    return this.run(
      'remove',
      key,
      async (conn, path) => {
        try {
          await conn.delete(path, version);
          return true;
        } catch (error) {
          if (error instanceof ZkCodeError && (error.code === ZK.BADVERSION || error.code === ZK.NONODE)) return false;
          throw error;
        }
      },
      bound,
    );
  }

  private async removeRecursive(conn: ZkConnection, path: string): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await conn.delete(path);
        return;
      } catch (error) {
        if (!(error instanceof ZkCodeError)) throw error;
        if (error.code === ZK.NONODE) return;
        if (error.code !== ZK.NOTEMPTY || attempt >= 10) throw error;
      }
      let children: string[];
      try {
        children = (await conn.getChildren(path)).children;
      } catch (error) {
        if (error instanceof ZkCodeError && error.code === ZK.NONODE) return;
        throw error;
      }
      await Promise.all(children.map((child) => this.removeRecursive(conn, `${path}/${child}`)));
    }
  }

  // ---------------------------------------------------------------- cache

  async addCacheData(key: string, options: TreeCacheOptions = {}): Promise<TreeCache> {
    assertRegistryKey(key);
    const running = this.caches.get(key);
    if (running) return running;
    const starting = this.startingCaches.get(key);
    if (starting) return starting;
    const start = (async () => {
      if (this.phase !== 'CONNECTED') await this.awaitConnection('cache', this.toPath(key), ZK.CONNECTIONLOSS);
      const cache = new ZookeeperTreeCache(key, this, options);
      await cache.start();
      this.caches.set(key, cache);
      return cache;
    })();
    this.startingCaches.set(key, start);
    try {
      return await start;
    } finally {
      this.startingCaches.delete(key);
    }
  }

  /** The started cache whose root covers `key`. */
  private findCache(key: string): TreeCache | undefined {
    let best: ZookeeperTreeCache | undefined;
    for (const cache of this.caches.values()) {
      if (isUnder(key, cache.root) && (!best || cache.root.length > best.root.length)) best = cache;
    }
    return best;
  }

  async awaitAbsent(keys: readonly string[], timeoutMs: number): Promise<boolean> {
    keys.forEach(assertRegistryKey);
    const deadline = Date.now() + timeoutMs;
    for (const key of keys) {
      for (;;) {
        let changed!: Promise<void>;
        const present = await this.run('exists', key, async (conn, path) => {
          let fire!: () => void;
          changed = new Promise<void>((resolve) => (fire = resolve));
          // The watch is armed by the request itself: no change after the answer is missed. A
          // read of the data leaves no watch behind on a node that is already gone.
          try {
            await conn.getData(path, () => fire());
            return true;
          } catch (error) {
            if (error instanceof ZkCodeError && error.code === ZK.NONODE) return false;
            throw error;
          }
        });
        if (!present) break;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return false;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          changed.then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), remaining))),
        ]);
        clearTimeout(timer);
        if (timedOut) return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- lock

  async executeInLeader<T>(latchKey: string, callback: () => Promise<T>, timeoutMs: number): Promise<T> {
    assertRegistryKey(latchKey);
    const deadline = Date.now() + timeoutMs;
    const { key: ownKey, generation } = await this.acquireLatch(latchKey, deadline, timeoutMs);
    try {
      return await callback();
    } finally {
      await this.releaseLatch(ownKey, generation);
    }
  }

  private async acquireLatch(
    latchKey: string,
    deadline: number,
    timeoutMs: number,
  ): Promise<{ key: string; generation: number }> {
    const uuid = randomUUID();
    const generation = this.sessionGeneration;
    const latchPath = this.toPath(latchKey);
    const ownPath = await this.run('lock', latchKey, async (conn) => {
      try {
        return await this.createWithParents(conn, `${latchPath}/${latchNodePrefix(uuid)}`, '', ZK.EPHEMERAL_SEQUENTIAL);
      } catch (error) {
        if (!(error instanceof ZkCodeError) || error.code !== ZK.CONNECTIONLOSS) throw error;
        // The create may have landed without its reply: Curator's protected mode finds it by uuid.
        await this.awaitConnection('lock', latchPath, error.code, this.sessionGeneration);
        const found = findOwnLatchChild((await conn.getChildren(latchPath)).children, uuid);
        if (found) return `${latchPath}/${found}`;
        throw error;
      }
    });
    const ownName = ownPath.slice(latchPath.length + 1);
    const ownKey = joinKey(latchKey, ownName);
    try {
      for (;;) {
        const children = sortLatchChildren(await this.getChildrenKeys(latchKey));
        const index = children.indexOf(ownName);
        if (index < 0) throw new LockLostError(latchPath);
        if (index === 0) return { key: ownKey, generation };
        const predecessor = joinKey(latchKey, children[index - 1]!);
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new LockTimeoutError(latchPath, timeoutMs, children[0]);
        await this.waitForDeletion(predecessor, remaining);
      }
    } catch (error) {
      await this.releaseLatch(ownKey, generation);
      throw error;
    }
  }

  /**
   * Resolves when `key` is deleted, or at once if absent; resolves (not rejects) on timeout.
   * The watch is set by a read of the data, as Curator's lock does: on a node that is already
   * gone that read fails and leaves no watch behind (an `exists` would, until the path is
   * created again, which for a sequential latch node is never).
   */
  private waitForDeletion(key: string, timeoutMs: number): Promise<void> {
    const generation = this.sessionGeneration;
    return this.run('lock', key, (conn, path) => {
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const done = (error?: unknown): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.phaseChanges.off('change', onPhase);
          if (error) reject(error);
          else resolve();
        };
        const onPhase = (): void => {
          if (this.phase === 'CLOSED' || generation !== this.sessionGeneration) done();
        };
        const timer = setTimeout(() => done(), timeoutMs);
        this.phaseChanges.on('change', onPhase);
        conn
          .getData(path, () => done())
          .then(
            () => undefined,
            (error: unknown) => done(error instanceof ZkCodeError && error.code === ZK.NONODE ? undefined : error),
          );
      });
    });
  }

  /**
   * Deletes our latch node, retrying a failure until the node is gone or its session is:
   * a latch node left behind would block every peer's election and failover claim for the
   * rest of the session.
   */
  private async releaseLatch(ownKey: string, generation: number): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      if (this.phase === 'CLOSED' || generation !== this.sessionGeneration) return;
      try {
        await this.removeInGeneration(ownKey, generation);
        return;
      } catch (error) {
        // A lost session already took the ephemeral node with it.
        if (error instanceof RegistrySessionExpiredError || error instanceof RegistryClosedError) return;
        if (attempt === 0) {
          this.logger.warn(
            `Releasing lock node ${ownKey} failed, retrying until it is gone: ${String(error)}`,
            ZookeeperRegistryCenter.name,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, LATCH_RELEASE_MAX_DELAY_MS)));
      }
    }
  }

  /** `remove`, only while the session of `generation` is the current one. */
  private removeInGeneration(key: string, generation: number): Promise<void> {
    if (generation !== this.sessionGeneration) {
      return Promise.reject(
        new RegistrySessionExpiredError('remove', this.toPath(key), ZK.SESSIONEXPIRED, 'SESSIONEXPIRED'),
      );
    }
    const session = this.conn?.sessionId;
    return this.remove(key, session === undefined ? undefined : { session });
  }
}
