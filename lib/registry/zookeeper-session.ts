import { EventEmitter } from 'node:events';
import type { LoggerService } from '@nestjs/common';
import {
  CONNECTION_AT_RISK,
  CONNECTION_BACK,
  CONNECTION_LOST,
  SESSION_EXPIRED,
  SESSION_RENEWED,
  STATE_LISTENER_FAILED,
} from '../elastic-job.messages.js';
import { RegistryCenterUnavailableError } from '../errors/registry-center-unavailable.error.js';
import {
  RegistryAccessDeniedError,
  RegistryClosedError,
  RegistryNotConnectedError,
  RegistryOperationError,
  RegistrySessionExpiredError,
} from '../errors/registry-operation.error.js';
import type { ResolvedZookeeperConfiguration } from '../config/zookeeper-options.js';
import type { ConnectionStateChange, ConnectionStateListener, SessionBound } from './registry-center.interface.js';
import { ZK, ZkCodeError, ZkConnection, zkCodeName } from './zookeeper.client.js';

export type SessionPhase = 'IDLE' | 'CONNECTING' | 'CONNECTED' | 'SUSPENDED' | 'LOST' | 'CLOSED';

/** The logger context of everything the registry says. */
export const REGISTRY_LOG_CONTEXT = 'ZookeeperRegistryCenter';

const RETRIES_ON_CONNECTION_LOSS = 3;
const REOPEN_DELAY_MS = 500;
const STALL_CHECK_MS = 100;
/** Of the session timeout, after a drop: when the session is no longer counted on (AT_RISK). */
const AT_RISK_FRACTION = 0.6;

/** What the session asks of the registry that owns it. */
export interface SessionOwner {
  /** Before anything else runs on a session: auth, the namespace root. */
  prepare(conn: ZkConnection): Promise<void>;
  /** The same session is back after a drop: watches hold, what they missed is read again. */
  resumed(): void;
  /** A new session is prepared: every watch of the old one is dead. */
  renewed(): void;
}

/**
 * The session state machine of one registry center: one ZooKeeper session at a time, shared
 * by every job. A dropped connection is `SUSPENDED` (the session and its ephemeral nodes may be
 * alive); past 60% of the session timeout it is `AT_RISK`; a reconnect within the session is
 * `RECONNECTED`; an expiry reported by the server, a whole session timeout without a
 * connection, or a stall of the process past two thirds of it, is `LOST`, after which a new
 * session is opened at once, without end, and announced as `RECONNECTED` with `newSession`.
 * Operations run through `run`, bound to the session they started on.
 */
export class ZookeeperSession {
  private conn: ZkConnection | undefined;
  private phase: SessionPhase = 'IDLE';
  private sessionGeneration = 0;
  private suspendTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private suspendedAt = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  /** When the stall timer last ran (performance.now()); 0 until it watches. */
  private stallCheckedAt = 0;
  private atRiskTimer: NodeJS.Timeout | undefined;
  private readonly phaseChanges = new EventEmitter();
  private readonly stateListeners = new Set<ConnectionStateListener>();
  private readonly namespace: string;
  private readonly serverLists: string;
  private readonly sessionTimeoutMs: number;
  private readonly connectionTimeoutMs: number;
  /** Two thirds of the session timeout: past that, the client itself gives the connection up. */
  private readonly stallLimitMs: number;

  constructor(
    settings: ResolvedZookeeperConfiguration,
    private readonly logger: LoggerService,
    private readonly requests: Map<string, number>,
    private readonly owner: SessionOwner,
  ) {
    this.namespace = settings.namespace;
    this.serverLists = settings.serverLists;
    this.sessionTimeoutMs = settings.sessionTimeoutMs;
    this.connectionTimeoutMs = settings.connectionTimeoutMs;
    this.stallLimitMs = Math.floor((settings.sessionTimeoutMs * 2) / 3);
    this.phaseChanges.setMaxListeners(0);
  }

  /** Bumped on every new session: what belongs to an older one is dead. */
  get generation(): number {
    return this.sessionGeneration;
  }

  get sessionId(): string | undefined {
    return this.conn && this.phase !== 'IDLE' && this.phase !== 'CONNECTING' ? this.conn.sessionId : undefined;
  }

  /** Id and password of the current session (what a test needs to expire it). */
  get credentials(): { id: string; password: string } | undefined {
    const conn = this.conn;
    if (!conn || this.phase === 'IDLE' || this.phase === 'CONNECTING' || this.phase === 'CLOSED') return undefined;
    return { id: conn.sessionId, password: conn.sessionPassword };
  }

  get closed(): boolean {
    return this.phase === 'CLOSED';
  }

  /** Connected, and not stalled so long that the session can no longer be counted on. */
  get isConnected(): boolean {
    return this.phase === 'CONNECTED' && this.stallMs() < this.stallLimitMs;
  }

  connection(): ZkConnection {
    if (!this.conn || this.phase === 'CLOSED') throw new ZkCodeError(ZK.CLOSING, 'use', this.namespace);
    return this.conn;
  }

  /** Opens the first session; rejects with RegistryCenterUnavailableError when none is made in time. */
  async open(): Promise<void> {
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
      await this.owner.prepare(this.connection());
    } catch (error) {
      this.close();
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
   * stall runs on it (a job's fire, a handler's own timer). A timer due earlier finds the
   * session not connected, and a reply that comes in first is checked before it is handed on
   * (`run`); what was already running when the process froze runs on a moment after the thaw.
   */
  private watchForStalls(): void {
    this.stallCheckedAt = performance.now();
    this.stallTimer = setInterval(() => {
      this.checkForStall();
      this.stallCheckedAt = performance.now();
    }, STALL_CHECK_MS);
    this.stallTimer.unref();
  }

  /**
   * Ends the session when the process has not run for two thirds of the session timeout.
   * Called by the stall timer, and by every reply before it is handed on: at a thaw, the
   * loop runs the I/O that came in during the freeze before its timers, and a reply (the
   * `running` node of an item created just before the freeze) would otherwise start work on
   * a session the server has already expired, a moment before the timer ends it. Returns
   * whether the session was ended here.
   */
  private checkForStall(): boolean {
    const stall = this.stallMs();
    if (stall < this.stallLimitMs || (this.phase !== 'CONNECTED' && this.phase !== 'SUSPENDED')) return false;
    this.expire(
      `this process did not run for ${stall} ms (frozen, or its event loop blocked), so no heartbeat went out ` +
        `for ${Math.round((stall / this.sessionTimeoutMs) * 100)}% of the session timeout`,
    );
    return true;
  }

  /** How late the stall timer is. Monotonic: a step of the wall clock is no stall. */
  private stallMs(): number {
    return this.stallCheckedAt === 0 ? 0 : Math.round(performance.now() - this.stallCheckedAt - STALL_CHECK_MS);
  }

  close(): void {
    if (this.phase === 'CLOSED') return;
    this.phase = 'CLOSED';
    this.clearSuspendTimer();
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.conn?.close();
    this.phaseChanges.emit('change');
    this.stateListeners.clear();
  }

  addConnectionStateListener(listener: ConnectionStateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Calls `listener` on every change of phase until the returned function is called. */
  onPhaseChange(listener: () => void): () => void {
    this.phaseChanges.on('change', listener);
    return () => this.phaseChanges.off('change', listener);
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

  private setPhase(phase: SessionPhase): void {
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
        REGISTRY_LOG_CONTEXT,
      );
      this.notify({ state: 'RECONNECTED', sessionId: this.connection().sessionId, newSession: false });
      this.owner.resumed();
      return;
    }
    if (previous === 'LOST') {
      const conn = this.connection();
      this.owner.prepare(conn).then(
        () => {
          if (generation !== this.sessionGeneration || this.phase === 'CLOSED') return;
          this.logger.log(SESSION_RENEWED(this.namespace, conn.sessionId), REGISTRY_LOG_CONTEXT);
          this.setPhase('CONNECTED');
          this.owner.renewed();
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
      REGISTRY_LOG_CONTEXT,
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
          this.logger.warn(CONNECTION_AT_RISK(this.namespace, atRiskMs), REGISTRY_LOG_CONTEXT);
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
    this.logger.warn(SESSION_EXPIRED(this.namespace, oldId, reason), REGISTRY_LOG_CONTEXT);
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
          STATE_LISTENER_FAILED(change.state, error),
          error instanceof Error ? error.stack : undefined,
          REGISTRY_LOG_CONTEXT,
        );
      }
    }
  }

  /** Resolves when the phase is `wanted`; rejects on timeout, close, or (if given) a new session. */
  waitForPhase(wanted: SessionPhase, timeoutMs: number, generation?: number): Promise<void> {
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

  /**
   * Runs one operation on the current session. Connection loss: wait for the connection
   * (bounded by the session timeout) and retry on the same session. A session that changed
   * meanwhile fails the operation: what it did may belong to a session that no longer exists.
   */
  async run<T>(
    operation: string,
    path: string,
    fn: (conn: ZkConnection, path: string) => Promise<T>,
    bound?: SessionBound,
  ): Promise<T> {
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
      let result: T;
      try {
        result = await fn(this.connection(), path);
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
      if (this.checkForStall() || generation !== this.sessionGeneration) {
        // Done on a session that is gone, or that this process can no longer count on.
        throw new RegistrySessionExpiredError(operation, path, ZK.SESSIONEXPIRED, 'SESSIONEXPIRED');
      }
      return result;
    }
  }

  /** Whether `session` is the session in use (connected, or suspended and hoping to resume). */
  private isCurrentSession(session: string): boolean {
    return (this.phase === 'CONNECTED' || this.phase === 'SUSPENDED') && this.conn?.sessionId === session;
  }

  async awaitConnection(operation: string, path: string, code: number, generation?: number): Promise<void> {
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
}
