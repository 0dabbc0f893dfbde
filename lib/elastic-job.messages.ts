/**
 * Every message a user reads is built here, so wording stays consistent and greppable.
 */

export const REGISTRY_UNAVAILABLE = (serverLists: string, namespace: string, timeoutMs: number, cause?: string) =>
  `Cannot connect to ZooKeeper at "${serverLists}" (namespace "${namespace}") within ${timeoutMs} ms` +
  (cause ? `: ${cause}` : '') +
  '. Check that the servers are running and reachable from this host, or raise zookeeper.connectionTimeoutMs.';

export const REGISTRY_ACCESS_DENIED = (path: string, namespace: string, operation: string) =>
  `ZooKeeper refused to ${operation} "${path}" (NOAUTH): the nodes of namespace "${namespace}" are protected by ` +
  'another digest. Configure the same zookeeper.digest ("user:password") as the instances that created them, ' +
  'or use another namespace.';

export const REGISTRY_OPERATION_FAILED = (operation: string, path: string, code: number, codeName: string) =>
  `ZooKeeper ${operation} on "${path}" failed with ${codeName} (${code}).`;

export const REGISTRY_SESSION_CHANGED = (operation: string, path: string) =>
  `ZooKeeper ${operation} on "${path}" was abandoned: the session it started in has expired, so what it was ` +
  'doing may no longer be ours to do. It was not retried on the new session.';

export const REGISTRY_CLOSED = (operation: string, path: string) =>
  `ZooKeeper ${operation} on "${path}" was refused: the registry center is closed.`;

export const REGISTRY_NOT_CONNECTED = (operation: string, path: string, waitedMs: number) =>
  `ZooKeeper ${operation} on "${path}" could not run: no connection to ZooKeeper for ${waitedMs} ms.`;

export const INVALID_REGISTRY_KEY = (key: string) =>
  `Invalid registry key "${key}": a key starts with "/", has no empty segments and does not end with "/".`;

export const INVALID_ZOOKEEPER_OPTION = (field: string, value: unknown, allowed: string) =>
  `Invalid zookeeper.${field} ${JSON.stringify(value)}: ${allowed}.`;

export const LOCK_TIMEOUT = (path: string, timeoutMs: number, holder: string | undefined) =>
  `Timed out after ${timeoutMs} ms waiting for the lock "${path}"` +
  (holder ? ` (held by node "${holder}")` : '') +
  '. Another instance holds it for too long, or an orphan latch node is left behind.';

export const LOCK_LOST = (path: string) =>
  `The lock node under "${path}" disappeared while waiting for the lock: the ZooKeeper session was lost.`;

export const SESSION_EXPIRED = (namespace: string, sessionId: string, reason: string) =>
  `ZooKeeper session 0x${sessionId} of namespace "${namespace}" is lost (${reason}); opening a new session.`;

export const SESSION_RENEWED = (namespace: string, sessionId: string) =>
  `ZooKeeper session 0x${sessionId} opened for namespace "${namespace}" after the previous one was lost; ` +
  'ephemeral nodes are re-created by their owners.';

export const CACHE_LISTENER_FAILED = (root: string) => `A listener of the registry cache on "${root}" threw`;

export const CACHE_LOAD_FAILED = (path: string) => `Reloading "${path}" into the registry cache failed; retrying`;
