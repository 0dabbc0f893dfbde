import type { LoggerService } from '@nestjs/common';
import { CACHE_LISTENER_FAILED, CACHE_LOAD_FAILED } from '../elastic-job.messages.js';
import type { CacheEvent, CacheListener, TreeCache, TreeCacheOptions } from './registry-center.interface.js';
import { joinKey, parentKey, reverseLexicographic } from './registry-keys.js';
import { ZK, ZkCodeError, type ZkConnection, type ZkStat } from './zookeeper.client.js';

/** What the cache needs from the registry center that owns it. */
export interface CacheSource {
  /** Bumped on every new session: watches of older sessions are dead. */
  readonly generation: number;
  /** The current native connection. */
  connection(): ZkConnection;
  toPath(key: string): string;
  readonly logger: LoggerService;
}

interface CachedNode {
  data: string;
  czxid: number;
  mzxid: number;
  pzxid: number;
  children: Set<string>;
}

interface WatchFlags {
  data: boolean;
  children: boolean;
  exists: boolean;
}

const RETRY_DELAY_MS = 200;

/**
 * Keeps a subtree in memory with one-shot ZooKeeper watches (a data watch and a child watch
 * per node), re-armed each time one fires. A node is re-read only when its watch fires, so
 * steady state costs ZooKeeper nothing. Nodes named by `fixedChildren` have no child watch:
 * each of their listed children is followed by an exists watch, and other children are
 * ignored, so nodes written on every fire (an item's `running`) cause no reads. After a
 * reconnect the whole subtree is re-read; after a new session the watches are re-armed from
 * scratch, and what vanished is reported removed.
 *
 * Responses on one session arrive in request order, and every applied read is checked
 * against the zxids already seen, so a late reply can never roll the cache back.
 */
export class ZookeeperTreeCache implements TreeCache {
  private readonly nodes = new Map<string, CachedNode>();
  private readonly listeners = new Set<CacheListener>();
  private watches = new Map<string, WatchFlags>();
  private watchGeneration: number;
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  private readonly fixedChildren: (key: string) => readonly string[] | undefined;

  constructor(
    readonly root: string,
    private readonly source: CacheSource,
    options: TreeCacheOptions = {},
  ) {
    this.watchGeneration = source.generation;
    this.fixedChildren = options.fixedChildren ?? (() => undefined);
  }

  /** Loads the subtree; resolves once it is in memory with every watch armed. */
  async start(): Promise<void> {
    this.track(this.loadNode(this.root));
    await this.idle();
  }

  get(key: string): string | undefined {
    return this.nodes.get(key)?.data;
  }

  getChildren(key: string): string[] | undefined {
    const node = this.nodes.get(key);
    return node ? reverseLexicographic(node.children) : undefined;
  }

  has(key: string): boolean {
    return this.nodes.has(key);
  }

  /** Every key in the cache, for diagnostics and tests. */
  keys(): string[] {
    return [...this.nodes.keys()];
  }

  addListener(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async sync(): Promise<void> {
    // A reply comes after every watch event of the changes made before its request, and
    // those events have started their reloads by the time it resolves.
    await this.source.connection().exists(this.source.toPath(this.root));
    await this.idle();
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Same session, connection back: re-read everything; armed watches stay armed. */
  onReconnected(): void {
    this.refreshAll();
  }

  /** New session: every watch is gone; re-arm them all and drop what no longer exists. */
  onNewSession(): void {
    this.watches = new Map();
    this.watchGeneration = this.source.generation;
    this.refreshAll();
  }

  private refreshAll(): void {
    if (this.closed) return;
    if (!this.nodes.has(this.root)) {
      this.track(this.loadNode(this.root));
      return;
    }
    for (const key of this.nodes.keys()) this.track(this.loadNode(key));
  }

  private flags(key: string): WatchFlags {
    let flags = this.watches.get(key);
    if (!flags) {
      flags = { data: false, children: false, exists: false };
      this.watches.set(key, flags);
    }
    return flags;
  }

  private idle(): Promise<void> {
    if (this.pending === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private track(work: Promise<void>): void {
    this.pending += 1;
    work.finally(() => {
      this.pending -= 1;
      if (this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private isStale(generation: number): boolean {
    return this.closed || generation !== this.source.generation || generation !== this.watchGeneration;
  }

  private async loadNode(key: string): Promise<void> {
    if (this.isFixedChild(key)) return this.loadFixedChild(key);
    if (!(await this.loadData(key))) return;
    const fixed = this.fixedChildren(key);
    if (!fixed) return this.loadChildren(key);
    for (const name of fixed) this.track(this.loadFixedChild(joinKey(key, name)));
  }

  private isFixedChild(key: string): boolean {
    if (key === this.root) return false;
    return this.fixedChildren(parentKey(key))?.includes(key.slice(key.lastIndexOf('/') + 1)) ?? false;
  }

  /**
   * A listed child of a fixed node: one exists watch, armed whether it exists or not (it
   * fires on creation, change and deletion), and its data read when it exists. No child watch.
   */
  private async loadFixedChild(key: string): Promise<void> {
    const generation = this.source.generation;
    if (this.isStale(generation)) return;
    const flags = this.flags(key);
    const arm = !flags.exists;
    if (arm) flags.exists = true;
    const connection = this.source.connection();
    const path = this.source.toPath(key);
    let result: { data: string; stat: ZkStat } | undefined;
    try {
      const stat = await connection.exists(path, arm ? () => this.onFixedChildWatch(key, generation) : undefined);
      result = stat ? await connection.getData(path) : undefined;
    } catch (error) {
      if (error instanceof ZkCodeError && error.code === ZK.NONODE) {
        result = undefined; // deleted between the two reads: the exists watch reports it
      } else {
        if (arm && !this.isStale(generation)) flags.exists = false;
        this.loadFailed(key, generation, error);
        return;
      }
    }
    if (this.isStale(generation)) return;
    if (!result) {
      this.removeSubtree(key);
      return;
    }
    this.applyData(key, result.data, result.stat);
    this.nodes.get(parentKey(key))?.children.add(key.slice(key.lastIndexOf('/') + 1));
  }

  private onFixedChildWatch(key: string, generation: number): void {
    if (this.isStale(generation)) return;
    this.flags(key).exists = false;
    this.track(this.loadFixedChild(key));
  }

  /** Reads the node's data (arming its watch if none is armed); false when it is gone. */
  private async loadData(key: string): Promise<boolean> {
    const generation = this.source.generation;
    if (this.isStale(generation)) return false;
    const flags = this.flags(key);
    const arm = !flags.data;
    if (arm) flags.data = true;
    let result: { data: string; stat: ZkStat };
    try {
      result = await this.source
        .connection()
        .getData(this.source.toPath(key), arm ? (type) => this.onDataWatch(key, generation, type) : undefined);
    } catch (error) {
      if (arm && !this.isStale(generation)) flags.data = false;
      if (error instanceof ZkCodeError && error.code === ZK.NONODE) {
        if (!this.isStale(generation)) this.nodeGone(key, generation);
        return false;
      }
      this.loadFailed(key, generation, error);
      return false;
    }
    if (this.isStale(generation)) return false;
    this.applyData(key, result.data, result.stat);
    return true;
  }

  private async loadChildren(key: string): Promise<void> {
    const generation = this.source.generation;
    if (this.isStale(generation)) return;
    const flags = this.flags(key);
    const arm = !flags.children;
    if (arm) flags.children = true;
    let result: { children: string[]; stat: ZkStat };
    try {
      result = await this.source
        .connection()
        .getChildren(this.source.toPath(key), arm ? (type) => this.onChildWatch(key, generation, type) : undefined);
    } catch (error) {
      if (arm && !this.isStale(generation)) flags.children = false;
      if (error instanceof ZkCodeError && error.code === ZK.NONODE) {
        if (!this.isStale(generation)) this.nodeGone(key, generation);
        return;
      }
      this.loadFailed(key, generation, error);
      return;
    }
    if (this.isStale(generation)) return;
    const node = this.nodes.get(key);
    // A reply older than what we hold, or about an earlier incarnation of the node, is ignored.
    if (!node || node.czxid !== result.stat.czxid || result.stat.pzxid < node.pzxid) return;
    node.pzxid = result.stat.pzxid;
    const current = new Set(result.children);
    for (const child of node.children) {
      if (!current.has(child)) this.removeSubtree(joinKey(key, child));
    }
    for (const child of current) {
      if (!node.children.has(child)) this.track(this.loadNode(joinKey(key, child)));
    }
    node.children = current;
  }

  private applyData(key: string, data: string, stat: ZkStat): void {
    const node = this.nodes.get(key);
    if (node && node.czxid === stat.czxid) {
      if (stat.mzxid <= node.mzxid) return;
      node.mzxid = stat.mzxid;
      node.data = data;
      this.emit({ type: 'updated', key, data });
      return;
    }
    if (node) {
      // Deleted and re-created between two reads: report both.
      this.removeSubtree(key);
    }
    this.nodes.set(key, { data, czxid: stat.czxid, mzxid: stat.mzxid, pzxid: -1, children: new Set() });
    this.emit({ type: 'added', key, data });
  }

  private nodeGone(key: string, generation: number): void {
    this.removeSubtree(key);
    if (key === this.root) this.watchRootCreation(generation);
  }

  private removeSubtree(key: string): void {
    const node = this.nodes.get(key);
    if (!node) return;
    for (const child of node.children) this.removeSubtree(joinKey(key, child));
    this.nodes.delete(key);
    if (key !== this.root) this.nodes.get(parentKey(key))?.children.delete(key.slice(key.lastIndexOf('/') + 1));
    this.emit({ type: 'removed', key, data: node.data });
  }

  /** The root does not exist (yet): an exists watch tells us when it is created. */
  private watchRootCreation(generation: number): void {
    const flags = this.flags(this.root);
    if (flags.exists || this.isStale(generation)) return;
    flags.exists = true;
    this.track(
      this.source
        .connection()
        .exists(this.source.toPath(this.root), (type) => this.onExistsWatch(generation, type))
        .then((stat) => {
          if (stat && !this.isStale(generation)) this.track(this.loadNode(this.root));
        })
        .catch((error: unknown) => {
          if (!this.isStale(generation)) flags.exists = false;
          this.loadFailed(this.root, generation, error);
        }),
    );
  }

  private onExistsWatch(generation: number, type: number): void {
    if (this.isStale(generation)) return;
    this.flags(this.root).exists = false;
    if (type === ZK.CREATED_EVENT || type === ZK.CHANGED_EVENT) this.track(this.loadNode(this.root));
    else this.watchRootCreation(generation);
  }

  private onDataWatch(key: string, generation: number, type: number): void {
    if (this.isStale(generation)) return;
    this.flags(key).data = false;
    if (type === ZK.DELETED_EVENT) this.nodeGone(key, generation);
    else this.track(this.loadData(key).then(() => undefined));
  }

  private onChildWatch(key: string, generation: number, type: number): void {
    if (this.isStale(generation)) return;
    this.flags(key).children = false;
    if (type === ZK.DELETED_EVENT) this.nodeGone(key, generation);
    else this.track(this.loadChildren(key));
  }

  private loadFailed(key: string, generation: number, error: unknown): void {
    if (this.isStale(generation)) return;
    const code = error instanceof ZkCodeError ? error.code : undefined;
    // Connection trouble: the reconnect (or new session) re-reads the whole subtree.
    if (
      code === ZK.CONNECTIONLOSS ||
      code === ZK.OPERATIONTIMEOUT ||
      code === ZK.SESSIONEXPIRED ||
      code === ZK.INVALIDSTATE ||
      code === ZK.CLOSING
    ) {
      return;
    }
    this.source.logger.error(`${CACHE_LOAD_FAILED(key)}: ${String(error)}`, 'ZookeeperTreeCache');
    setTimeout(() => {
      if (!this.isStale(generation)) this.track(this.loadNode(key));
    }, RETRY_DELAY_MS).unref();
  }

  private emit(event: CacheEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.source.logger.error(
          `${CACHE_LISTENER_FAILED(this.root)} on ${event.type} ${event.key}: ${String(error)}`,
          error instanceof Error ? error.stack : undefined,
          'ZookeeperTreeCache',
        );
      }
    }
  }
}
