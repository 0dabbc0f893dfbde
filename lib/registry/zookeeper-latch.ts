import { LATCH_RELEASE_RETRYING } from '../elastic-job.messages.js';
import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { LockLostError } from '../errors/lock-lost.error.js';
import { LockTimeoutError } from '../errors/lock-timeout.error.js';
import { RegistryClosedError, RegistrySessionExpiredError } from '../errors/registry-operation.error.js';
import { findOwnLatchChild, latchNodePrefix, sortLatchChildren } from './curator-latch.js';
import type { SessionBound } from './registry-center.interface.js';
import { assertRegistryKey, joinKey } from './registry-keys.js';
import { ZK, ZkCodeError, type ZkConnection } from './zookeeper.client.js';
import { REGISTRY_LOG_CONTEXT, type ZookeeperSession } from './zookeeper-session.js';

const LATCH_RELEASE_MAX_DELAY_MS = 2_000;

/** What the lock needs of the registry center it runs on. */
export interface LatchHost {
  readonly session: ZookeeperSession;
  readonly logger: LoggerService;
  toPath(key: string): string;
  run<T>(operation: string, key: string, fn: (conn: ZkConnection, path: string) => Promise<T>): Promise<T>;
  createWithParents(conn: ZkConnection, path: string, data: string, mode: number): Promise<string>;
  getChildrenKeys(key: string): Promise<string[]>;
  remove(key: string, bound?: SessionBound): Promise<void>;
}

/**
 * Curator's `InterProcessMutex` recipe, as ElasticJob's `executeInLeader` uses it, on the same
 * nodes (so a Java instance queues on the same latch): a protected ephemeral sequential child
 * of the latch, the lowest of which holds the lock, each waiting for the deletion of the one
 * before it. Bounded by a timeout; released even when the callback fails, and retried until
 * the node or its session is gone.
 */
export class ZookeeperLatch {
  constructor(private readonly host: LatchHost) {}

  private get session(): ZookeeperSession {
    return this.host.session;
  }

  async run<T>(latchKey: string, callback: () => Promise<T>, timeoutMs: number): Promise<T> {
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
    const generation = this.session.generation;
    const latchPath = this.host.toPath(latchKey);
    const ownPath = await this.host.run('lock', latchKey, async (conn) => {
      try {
        return await this.host.createWithParents(
          conn,
          `${latchPath}/${latchNodePrefix(uuid)}`,
          '',
          ZK.EPHEMERAL_SEQUENTIAL,
        );
      } catch (error) {
        if (!(error instanceof ZkCodeError) || error.code !== ZK.CONNECTIONLOSS) throw error;
        // The create may have landed without its reply: Curator's protected mode finds it by uuid.
        await this.session.awaitConnection('lock', latchPath, error.code, this.session.generation);
        const found = findOwnLatchChild((await conn.getChildren(latchPath)).children, uuid);
        if (found) return `${latchPath}/${found}`;
        throw error;
      }
    });
    const ownName = ownPath.slice(latchPath.length + 1);
    const ownKey = joinKey(latchKey, ownName);
    try {
      for (;;) {
        const children = sortLatchChildren(await this.host.getChildrenKeys(latchKey));
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
    const generation = this.session.generation;
    return this.host.run('lock', key, (conn, path) => {
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const done = (error?: unknown): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          offPhase();
          if (error) reject(error);
          else resolve();
        };
        const onPhase = (): void => {
          if (this.session.closed || generation !== this.session.generation) done();
        };
        const timer = setTimeout(() => done(), timeoutMs);
        const offPhase = this.session.onPhaseChange(onPhase);
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
      if (this.session.closed || generation !== this.session.generation) return;
      try {
        await this.removeInGeneration(ownKey, generation);
        return;
      } catch (error) {
        // A lost session already took the ephemeral node with it.
        if (error instanceof RegistrySessionExpiredError || error instanceof RegistryClosedError) return;
        if (attempt === 0) {
          this.host.logger.warn(LATCH_RELEASE_RETRYING(ownKey, error), REGISTRY_LOG_CONTEXT);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, LATCH_RELEASE_MAX_DELAY_MS)));
      }
    }
  }

  /** `remove`, only while the session of `generation` is the current one. */
  private removeInGeneration(key: string, generation: number): Promise<void> {
    if (generation !== this.session.generation) {
      return Promise.reject(
        new RegistrySessionExpiredError('remove', this.host.toPath(key), ZK.SESSIONEXPIRED, 'SESSIONEXPIRED'),
      );
    }
    const session = this.session.sessionId;
    return this.host.remove(key, session === undefined ? undefined : { session });
  }
}
