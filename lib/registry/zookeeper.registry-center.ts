import { Logger, type LoggerService } from '@nestjs/common';
import { resolveZookeeperConfiguration } from '../config/zookeeper-options.js';
import type {
  TreeCacheOptions,
  ConnectionStateListener,
  NodeData,
  NodeStat,
  SessionBound,
  RegistryCenter,
  TreeCache,
  ZookeeperConfiguration,
} from './registry-center.interface.js';
import { assertRegistryKey, isUnder, reverseLexicographic } from './registry-keys.js';
import { ZK, ZkCodeError, ZkConnection, type ZkStat } from './zookeeper.client.js';
import { ZookeeperLatch } from './zookeeper-latch.js';
import { ZookeeperSession } from './zookeeper-session.js';
import { ZookeeperTreeCache, type CacheSource } from './zookeeper-tree.cache.js';

/**
 * ElasticJob's registry center on the `zookeeper` (C client) package: one session shared by
 * every job (`ZookeeperSession`, whose states it reports), paths under `/{namespace}`,
 * ElasticJob's operations with Curator's semantics where ElasticJob relies on them, watch-kept
 * subtree caches (`ZookeeperTreeCache`) and Curator's lock (`ZookeeperLatch`). Ephemeral nodes
 * are re-created by their owners, who listen to the session's states.
 */
export class ZookeeperRegistryCenter implements RegistryCenter, CacheSource {
  readonly namespace: string;
  readonly serverLists: string;
  readonly logger: LoggerService;
  private readonly digest: string | undefined;

  /** The session state machine (`zookeeper-session.ts`). */
  private readonly session: ZookeeperSession;
  private readonly latch: ZookeeperLatch;
  private readonly caches = new Map<string, ZookeeperTreeCache>();
  private readonly startingCaches = new Map<string, Promise<ZookeeperTreeCache>>();
  private readonly requests = new Map<string, number>();

  constructor(config: ZookeeperConfiguration, logger?: LoggerService) {
    const valid = resolveZookeeperConfiguration(config);
    this.namespace = valid.namespace;
    this.serverLists = valid.serverLists;
    this.digest = valid.digest;
    // Every call names its context, so the default logger carries none (Nest would print it twice).
    this.logger = logger ?? new Logger();
    this.session = new ZookeeperSession(valid, this.logger, this.requests, {
      prepare: (conn) => this.prepareSession(conn),
      resumed: () => this.caches.forEach((cache) => cache.onReconnected()),
      renewed: () => this.caches.forEach((cache) => cache.onNewSession()),
    });
    this.latch = new ZookeeperLatch({
      session: this.session,
      logger: this.logger,
      toPath: (key) => this.toPath(key),
      run: (operation, key, fn) => this.run(operation, key, fn),
      createWithParents: (conn, path, data, mode) => this.createWithParents(conn, path, data, mode),
      getChildrenKeys: (key) => this.getChildrenKeys(key),
      remove: (key, bound) => this.remove(key, bound),
    });
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
    return this.session.generation;
  }

  get sessionId(): string | undefined {
    return this.session.sessionId;
  }

  /** Id and password of the current session (what a test needs to expire it). */
  get sessionCredentials(): { id: string; password: string } | undefined {
    return this.session.credentials;
  }

  get isConnected(): boolean {
    return this.session.isConnected;
  }

  connection(): ZkConnection {
    return this.session.connection();
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
    await this.session.open();
  }

  async close(): Promise<void> {
    if (this.session.closed) return;
    for (const cache of this.caches.values()) cache.close();
    this.caches.clear();
    this.session.close();
  }

  addConnectionStateListener(listener: ConnectionStateListener): () => void {
    return this.session.addConnectionStateListener(listener);
  }

  executeInLeader<T>(latchKey: string, callback: () => Promise<T>, timeoutMs: number): Promise<T> {
    return this.latch.run(latchKey, callback, timeoutMs);
  }

  /** Auth and the namespace root, before anything else runs on a session. */
  private async prepareSession(conn: ZkConnection): Promise<void> {
    if (this.digest) await conn.addAuth('digest', this.digest);
    await this.ensureNode(conn, this.toPath('/'));
  }

  /** An operation on `key`, bound to the session it starts on (a bad key rejects, never throws). */
  private async run<T>(
    operation: string,
    key: string,
    fn: (conn: ZkConnection, path: string) => Promise<T>,
    bound?: SessionBound,
  ): Promise<T> {
    assertRegistryKey(key);
    return this.session.run(operation, this.toPath(key), fn, bound);
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
      if (!this.session.isConnected) await this.session.awaitConnection('cache', this.toPath(key), ZK.CONNECTIONLOSS);
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
}
