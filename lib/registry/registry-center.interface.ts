/**
 * What coordination code needs from a registry: ElasticJob's registry-center operations,
 * a watch-based subtree cache, a Curator-compatible lock and the connection state.
 * Coordination code depends on this interface only, never on a ZooKeeper client.
 *
 * Keys are absolute paths inside the namespace ("/order-sync/config"); the namespace prefix
 * is added by the implementation.
 */

/**
 * - `CONNECTED`: the first session is open.
 * - `SUSPENDED`: the connection dropped; the session may still be alive (ephemeral nodes kept).
 * - `AT_RISK`: still suspended 60% of the session timeout later: from about now on the server
 *   may expire the session at any moment, so what depends on it must stop. The same session
 *   may still come back (`RECONNECTED`, not new).
 * - `RECONNECTED`: connected again; `newSession` says whether it is the same session.
 * - `LOST`: the session expired (or was given up after a whole session timeout without a
 *   connection). Its ephemeral nodes are gone; a new session is being opened.
 */
export type ConnectionState = 'CONNECTED' | 'SUSPENDED' | 'AT_RISK' | 'RECONNECTED' | 'LOST';

export interface ConnectionStateChange {
  state: ConnectionState;
  /** Hex session id of the session this state refers to (the new one after `RECONNECTED`). */
  sessionId: string;
  /** True on `RECONNECTED` when it is a new session, opened after `LOST`. */
  newSession: boolean;
  /** Why the session was lost (`LOST` only). */
  reason?: string;
}

export type ConnectionStateListener = (change: ConnectionStateChange) => void;

/** The parts of a ZooKeeper `Stat` ElasticJob uses. Times are epoch milliseconds (server clock). */
export interface NodeStat {
  ctime: number;
  mtime: number;
  version: number;
  numChildren: number;
  /** Session id (hex) that owns an ephemeral node, `'0'` for a persistent one. */
  ephemeralOwner: string;
  /** The zxid of the node's creation: the order in which nodes were created, across the ensemble. */
  czxid: number;
  mzxid: number;
  pzxid: number;
}

/**
 * A write that belongs to one session: it is sent only while that session is the current one
 * (waiting, bounded, while it is suspended) and rejected with `RegistrySessionExpiredError`,
 * unsent, once the session is lost or replaced. What it fences (an item's `running` node) is
 * then never written on behalf of a session that is gone.
 */
export interface SessionBound {
  /** Hex id of the session the write belongs to (`RegistryCenter.sessionId` when decided). */
  session?: string;
}

/** A node's data with its stat. */
export interface NodeData {
  data: string;
  stat: NodeStat;
}

export type CacheEventType = 'added' | 'updated' | 'removed';

export interface CacheEvent {
  type: CacheEventType;
  /** Key of the node (namespace-relative). */
  key: string;
  /** Node data (for `removed`, the last data seen). */
  data: string;
}

export type CacheListener = (event: CacheEvent) => void;

export interface TreeCacheOptions {
  /**
   * For a node whose key it returns names for, the cache follows only those children, each by
   * name (an exists watch), instead of all its children (a child watch). Other children of
   * that node are neither cached nor watched, so creating and deleting them costs the cache
   * nothing: how nodes written on every fire stay off the watch path.
   */
  fixedChildren?: (key: string) => readonly string[] | undefined;
}

/** A watch-kept copy of one subtree: reads are synchronous and cost ZooKeeper nothing. */
export interface TreeCache {
  readonly root: string;
  /** Data of a cached node, `undefined` when it is not (or not yet) in the cache. */
  get(key: string): string | undefined;
  /** Children names of a cached node, reverse lexicographic (as Curator returns them). */
  getChildren(key: string): string[] | undefined;
  has(key: string): boolean;
  /** Subscribe to changes; returns the unsubscribe function. */
  addListener(listener: CacheListener): () => void;
  /** Resolves once every change made before the call has reached the cache. */
  sync(): Promise<void>;
  close(): void;
}

export interface RegistryCenter {
  readonly namespace: string;
  readonly serverLists: string;
  /** Hex id of the current session, `undefined` before the first connection. */
  readonly sessionId: string | undefined;
  readonly isConnected: boolean;

  /** Connects within the connection timeout or rejects with `RegistryCenterUnavailableError`. */
  init(): Promise<void>;
  /** Ends the session (its ephemeral nodes go) and releases everything holding the event loop. */
  close(): Promise<void>;

  /** Cached value when a started cache covers the key, else read from ZooKeeper. */
  get(key: string): Promise<string | null>;
  getDirectly(key: string): Promise<string | null>;
  /** Data and stat, read from ZooKeeper; `null` when the node does not exist. */
  getWithStat(key: string): Promise<NodeData | null>;
  isExisted(key: string): Promise<boolean>;
  /** Children names, reverse lexicographic; `[]` when the node does not exist. */
  getChildrenKeys(key: string): Promise<string[]>;
  getNumChildren(key: string): Promise<number>;
  /** The node's stat (ctime, mtime, ...), `null` when it does not exist. */
  getStat(key: string): Promise<NodeStat | null>;

  /** Creates (with parents) or updates a persistent node. */
  persist(key: string, value: string, bound?: SessionBound): Promise<void>;
  /** Updates an existing node; rejects with NONODE when it does not exist. */
  update(key: string, value: string): Promise<void>;
  /** Replaces the node with an ephemeral one owned by the current session. */
  persistEphemeral(key: string, value: string, bound?: SessionBound): Promise<void>;
  /** Creates `{key}{sequence}` persistent; returns the created key. */
  persistSequential(key: string, value: string): Promise<string>;
  /** Creates `{key}{sequence}` ephemeral; returns the created key. */
  persistEphemeralSequential(key: string, value?: string): Promise<string>;
  /**
   * Creates the node if absent; false when it already existed. An ephemeral node that a retry
   * finds owned by this session counts as created.
   */
  createIfAbsent(key: string, value: string, ephemeral?: boolean, bound?: SessionBound): Promise<boolean>;
  /** Deletes the node and everything under it; absent nodes are fine. */
  remove(key: string, bound?: SessionBound): Promise<void>;
  /** Deletes a leaf node only if its data version is still `version`; false when it changed or is gone. */
  removeIfVersion(key: string, version: number, bound?: SessionBound): Promise<boolean>;

  /**
   * Starts (or returns the running) cache of the subtree at `key`, once loaded. The options
   * of the first call for a key are the ones that apply.
   */
  addCacheData(key: string, options?: TreeCacheOptions): Promise<TreeCache>;

  /**
   * Resolves true once none of `keys` exists, watching them (no polling); false when
   * `timeoutMs` passes first.
   */
  awaitAbsent(keys: readonly string[], timeoutMs: number): Promise<boolean>;

  /**
   * Runs `callback` while holding the Curator-compatible lock at `latchKey`
   * (ephemeral sequential `_c_{uuid}-latch-` children, lowest holds). Rejects with
   * `LockTimeoutError` when not acquired within `timeoutMs`.
   */
  executeInLeader<T>(latchKey: string, callback: () => Promise<T>, timeoutMs: number): Promise<T>;

  addConnectionStateListener(listener: ConnectionStateListener): () => void;
}

export type { ZookeeperConfiguration } from '../interfaces/zookeeper-configuration.interface.js';
