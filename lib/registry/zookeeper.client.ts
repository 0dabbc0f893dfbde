/**
 * The one file that touches the `zookeeper` package: one native handle (one session attempt),
 * its callbacks turned into promises with typed return codes. A handle is never reused after
 * it closes (the native library forbids it); the registry center makes a new one.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { NATIVE_CLIENT_MISSING } from '../elastic-job.messages.js';

interface NativeStatShape {
  ctime: Date | number;
  mtime: Date | number;
  version: number;
  numChildren: number;
  ephemeralOwner: string;
  mzxid: number;
  pzxid: number;
  czxid: number;
}

export interface AclEntry {
  perms: number;
  scheme: string;
  auth: string;
}

type Callback<A extends unknown[]> = (rc: number, error: string, ...result: A) => void;
type NativeWatcher = (type: number, state: number, path: string) => void;

interface NativeHandle extends EventEmitter {
  init(config: Record<string, unknown>): void;
  close(): void;
  readonly client_id: string;
  readonly client_password: string;
  a_create(path: string, data: string, flags: number, cb: Callback<[string]>): number;
  a_exists(path: string, watch: boolean, cb: Callback<[NativeStatShape]>): number;
  aw_exists(path: string, watcher: NativeWatcher, cb: Callback<[NativeStatShape]>): number;
  a_get(path: string, watch: boolean, cb: Callback<[NativeStatShape, Buffer | string]>): number;
  aw_get(path: string, watcher: NativeWatcher, cb: Callback<[NativeStatShape, Buffer | string]>): number;
  a_get_children2(path: string, watch: boolean, cb: Callback<[string[], NativeStatShape]>): number;
  aw_get_children2(path: string, watcher: NativeWatcher, cb: Callback<[string[], NativeStatShape]>): number;
  a_set(path: string, data: string, version: number, cb: Callback<[NativeStatShape]>): number;
  a_delete_(path: string, version: number, cb: Callback<[]>): number;
  a_set_acl(path: string, version: number, acl: AclEntry[], cb: Callback<[]>): number;
  add_auth(scheme: string, auth: string, cb: Callback<[]>): number;
}

interface NativeModule {
  new (config: Record<string, unknown>): NativeHandle;
  constants: Record<string, number>;
}

/**
 * The package's main export is the class over the native handle (its bundled typings describe
 * another API, so the shape used here is declared above). An app whose npm skipped the
 * package's install script has no native library: that is said plainly, with what to run.
 */
function loadNativeClient(): NativeModule {
  try {
    // `__filename`: this file is CommonJS once built, and Vitest provides it to the sources.
    return createRequire(__filename)('zookeeper') as NativeModule;
  } catch (error) {
    const message = String((error as Error)?.message ?? error);
    if (
      /No native build was found|zookeeper\.node|ERR_DLOPEN_FAILED/.test(
        message + String((error as { code?: string })?.code),
      )
    ) {
      throw new Error(NATIVE_CLIENT_MISSING(message), { cause: error });
    }
    throw error;
  }
}

const native = loadNativeClient();

export const ZK = {
  OK: 0,
  CONNECTIONLOSS: -4,
  OPERATIONTIMEOUT: -7,
  INVALIDSTATE: -9,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  CLOSING: -116,
  SESSIONMOVED: -118,
  EXPIRED_SESSION_STATE: -112,
  AUTH_FAILED_STATE: -113,
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  PERM_ALL: 31,
  CREATED_EVENT: 1,
  DELETED_EVENT: 2,
  CHANGED_EVENT: 3,
  CHILD_EVENT: 4,
  SESSION_EVENT: -1,
} as const;

const CODE_NAMES = new Map<number, string>(
  Object.entries(native.constants)
    .filter(([name, value]) => name.startsWith('Z') && !name.startsWith('ZOO') && typeof value === 'number')
    .map(([name, value]) => [value, name.slice(1)]),
);

export function zkCodeName(code: number): string {
  return CODE_NAMES.get(code) ?? `code ${code}`;
}

/** A non-zero return code from the native client. */
export class ZkCodeError extends Error {
  constructor(
    readonly code: number,
    readonly operation: string,
    readonly path: string,
  ) {
    super(`${operation} ${path}: ${zkCodeName(code)} (${code})`);
  }
}

export interface ZkStat {
  ctime: number;
  mtime: number;
  version: number;
  numChildren: number;
  ephemeralOwner: string;
  mzxid: number;
  pzxid: number;
  czxid: number;
}

export type ZkWatcher = (type: number, path: string) => void;

function toMillis(value: Date | number): number {
  return value instanceof Date ? value.getTime() : Number(value);
}

function toStat(raw: NativeStatShape): ZkStat {
  return {
    ctime: toMillis(raw.ctime),
    mtime: toMillis(raw.mtime),
    version: raw.version,
    numChildren: raw.numChildren,
    ephemeralOwner: raw.ephemeralOwner,
    mzxid: Number(raw.mzxid),
    pzxid: Number(raw.pzxid),
    czxid: Number(raw.czxid),
  };
}

export interface ZkConnectionOptions {
  connect: string;
  sessionTimeoutMs: number;
  /** Resume an existing session (used to expire sessions in tests). */
  session?: { id: string; password: string };
  /** Counts each request sent, by operation (`create`, `getData`, ...). */
  requestCounts?: Map<string, number>;
}

/**
 * One native handle. Emits `connected` (session established or re-established),
 * `connecting` (connection dropped, the client is reconnecting) and `closed` (code: 0 when
 * closed by us, -112 when the session expired).
 */
export class ZkConnection extends EventEmitter {
  private readonly handle: NativeHandle;
  private closed = false;
  private readonly counts: Map<string, number> | undefined;

  constructor(options: ZkConnectionOptions) {
    super();
    const config: Record<string, unknown> = {
      connect: options.connect,
      timeout: options.sessionTimeoutMs,
      // The C library's own logging goes straight to stderr; the registry logs state itself.
      debug_level: Number(process.env.ZK_CLIENT_DEBUG ?? 0),
      host_order_deterministic: false,
      // The binding closes a handle, reporting it expired, after this many consecutive empty
      // reads. A handle that starts while the server is down gets there within milliseconds
      // of the server coming back and would never connect; a real expiry is still reported
      // by the server itself.
      response_counter_limit: 1_000_000,
    };
    if (options.session) {
      config.client_id = options.session.id;
      config.client_password = options.session.password;
    }
    this.counts = options.requestCounts;
    this.handle = new native(config);
    this.handle.on('connect', () => this.emit('connected'));
    this.handle.on('connecting', () => this.emit('connecting'));
    this.handle.on('close', (_self: unknown, code: unknown) => {
      this.closed = true;
      this.emit('closed', typeof code === 'number' ? code : 0);
    });
    this.handle.init({});
  }

  get sessionId(): string {
    return this.handle.client_id;
  }

  get sessionPassword(): string {
    return this.handle.client_password;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }

  private call<T>(
    operation: string,
    path: string,
    start: (cb: Callback<unknown[]>) => number,
    pick: (r: unknown[]) => T,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) {
        reject(new ZkCodeError(ZK.CLOSING, operation, path));
        return;
      }
      this.count(operation);
      const rc = start((code, _message, ...result) => {
        if (code === ZK.OK) resolve(pick(result));
        else reject(new ZkCodeError(code, operation, path));
      });
      if (rc !== ZK.OK) reject(new ZkCodeError(rc, operation, path));
    });
  }

  private count(operation: string): void {
    if (this.counts) this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  private wrapWatcher(watcher: ZkWatcher): NativeWatcher {
    return (type, _state, path) => {
      if (type === ZK.SESSION_EVENT) return;
      watcher(type, path);
    };
  }

  create(path: string, data: string, mode: number): Promise<string> {
    return this.call(
      'create',
      path,
      (cb) => this.handle.a_create(path, data, mode, cb as Callback<[string]>),
      (r) => r[0] as string,
    );
  }

  exists(path: string, watcher?: ZkWatcher): Promise<ZkStat | null> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ZkCodeError(ZK.CLOSING, 'exists', path));
        return;
      }
      const cb: Callback<[NativeStatShape]> = (code, _message, stat) => {
        if (code === ZK.OK) resolve(toStat(stat));
        else if (code === ZK.NONODE) resolve(null);
        else reject(new ZkCodeError(code, 'exists', path));
      };
      this.count('exists');
      const rc = watcher
        ? this.handle.aw_exists(path, this.wrapWatcher(watcher), cb)
        : this.handle.a_exists(path, false, cb);
      if (rc !== ZK.OK) reject(new ZkCodeError(rc, 'exists', path));
    });
  }

  getData(path: string, watcher?: ZkWatcher): Promise<{ data: string; stat: ZkStat }> {
    return this.call(
      'getData',
      path,
      (cb) =>
        watcher
          ? this.handle.aw_get(path, this.wrapWatcher(watcher), cb as Callback<[NativeStatShape, Buffer | string]>)
          : this.handle.a_get(path, false, cb as Callback<[NativeStatShape, Buffer | string]>),
      (r) => ({ stat: toStat(r[0] as NativeStatShape), data: r[1] == null ? '' : r[1].toString() }),
    );
  }

  getChildren(path: string, watcher?: ZkWatcher): Promise<{ children: string[]; stat: ZkStat }> {
    return this.call(
      'getChildren',
      path,
      (cb) =>
        watcher
          ? this.handle.aw_get_children2(path, this.wrapWatcher(watcher), cb as Callback<[string[], NativeStatShape]>)
          : this.handle.a_get_children2(path, false, cb as Callback<[string[], NativeStatShape]>),
      (r) => ({ children: (r[0] as string[]) ?? [], stat: toStat(r[1] as NativeStatShape) }),
    );
  }

  setData(path: string, data: string, version = -1): Promise<ZkStat> {
    return this.call(
      'setData',
      path,
      (cb) => this.handle.a_set(path, data, version, cb as Callback<[NativeStatShape]>),
      (r) => toStat(r[0] as NativeStatShape),
    );
  }

  delete(path: string, version = -1): Promise<void> {
    return this.call(
      'delete',
      path,
      (cb) => this.handle.a_delete_(path, version, cb as Callback<[]>),
      () => undefined,
    );
  }

  setAcl(path: string, version: number, acl: AclEntry[]): Promise<void> {
    return this.call(
      'setACL',
      path,
      (cb) => this.handle.a_set_acl(path, version, acl, cb as Callback<[]>),
      () => undefined,
    );
  }

  addAuth(scheme: string, auth: string): Promise<void> {
    return this.call(
      'addAuth',
      scheme,
      (cb) => this.handle.add_auth(scheme, auth, cb as Callback<[]>),
      () => undefined,
    );
  }
}
