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

/** `where`: `@ElasticJob() of job "x"`, `ElasticJobModule`, `zookeeper`... */
export const UNKNOWN_OPTION = (where: string, key: string, closest: string | undefined, known: readonly string[]) =>
  `Unknown option "${key}" in ${where}` +
  (closest ? `: did you mean "${closest}"?` : '.') +
  ` The options are ${known.join(', ')}.`;

export const LOCK_TIMEOUT = (path: string, timeoutMs: number, holder: string | undefined) =>
  `Timed out after ${timeoutMs} ms waiting for the lock "${path}"` +
  (holder ? ` (held by node "${holder}")` : '') +
  '. Another instance holds it for too long, or an orphan latch node is left behind.';

export const LOCK_LOST = (path: string) =>
  `The lock node under "${path}" disappeared while waiting for the lock: the ZooKeeper session was lost.`;

export const SESSION_EXPIRED = (namespace: string, sessionId: string, reason: string) =>
  `ZooKeeper session 0x${sessionId} of namespace "${namespace}" is lost (${reason}); opening a new session.`;

export const CONNECTION_LOST = (
  servers: string,
  namespace: string,
  sessionId: string,
  atRiskMs: number,
  sessionTimeoutMs: number,
) =>
  `Lost the connection to ZooKeeper (${servers}) of namespace "${namespace}", session 0x${sessionId}: reconnecting. ` +
  `No fire starts meanwhile; running items are stopped if it is not back in ${atRiskMs} ms, and the session is ` +
  `given up after ${sessionTimeoutMs} ms.`;

export const CONNECTION_AT_RISK = (namespace: string, atRiskMs: number) =>
  `Still no connection to ZooKeeper (namespace "${namespace}") after ${atRiskMs} ms: the server may expire the ` +
  'session any moment, so running items are stopped.';

export const CONNECTION_BACK = (namespace: string, sessionId: string, afterMs: number) =>
  `ZooKeeper connection of namespace "${namespace}" is back after ${afterMs} ms, with the same session 0x${sessionId}.`;

export const NATIVE_CLIENT_MISSING = (cause: string) =>
  "nestjs-elastic-job needs the native library of the 'zookeeper' package, and it is not built here (npm 11 runs " +
  'a dependency\'s install script only when the app allows it). Add "allowScripts": { "zookeeper": true } to ' +
  "your app's package.json (or run `npm install-scripts approve zookeeper`), then run `npm rebuild zookeeper`; the " +
  `build needs a C/C++ toolchain, CMake and Python. The client said: ${cause}`;

export const SESSION_RENEWED = (namespace: string, sessionId: string) =>
  `ZooKeeper session 0x${sessionId} opened for namespace "${namespace}" after the previous one was lost; ` +
  'ephemeral nodes are re-created by their owners.';

export const CACHE_LISTENER_FAILED = (root: string) => `A listener of the registry cache on "${root}" threw`;

export const CACHE_LOAD_FAILED = (path: string) => `Reloading "${path}" into the registry cache failed; retrying`;

export const RUN_WAIT_TIMEOUT = (job: string, timeoutMs: number) =>
  `No run of job "${job}" completed on this instance within ${timeoutMs} ms.`;

export const OWN_WRITE_NOT_SEEN = (job: string, what: string, waitedMs: number) =>
  `Job "${job}": ${what} was written to ZooKeeper, but this instance did not see the change within ${waitedMs} ms.`;

export const CRON_DECORATOR_ORDER = (where: string) =>
  `${where}: write @ElasticJob() above @Cron(), so that it takes the method over; below it, @nestjs/schedule would ` +
  'still run the method on every replica.';
export const NON_STATIC_LISTENER = (className: string) =>
  `@JobListener() on ${className} is ignored: a listener must be a singleton provider (it is request-scoped, or depends on one).`;
export const LISTENER_FAILED = (job: string, listener: string, method: string, what: string) =>
  `Listener ${listener}.${method} of job "${job}" ${what}; the fire went on.`;
export const UNKNOWN_LISTENED_JOB = (listener: string, job: string, known: readonly string[]) =>
  `@JobListener() on ${listener} names job "${job}", which is not a job of this app (${known.length ? jobList(known, 10) : 'none'}).`;
export const JOB_HAS_LIVE_INSTANCES = (job: string, instances: readonly string[]) =>
  `Job "${job}" still has ${instances.length} live instance(s) (${instances.join(', ')}): shut them down first; ` +
  `removing it deletes its whole subtree, configuration included.`;
export const JOB_SHUT_DOWN_BY_OPERATOR = (job: string, instanceId: string) =>
  `Job "${job}": this instance's node (${instanceId}) was deleted by an operator, which is ElasticJob's shutdown: ` +
  `the job stops here (items running finish; the other instances take its items). Restart the app to run it here again.`;
export const INVALID_JOB_OPTION = (job: string, field: string, value: unknown, allowed: string) =>
  `Job "${job}": ${field} ${formatValue(value)} is invalid; allowed: ${allowed}.`;

export const INVALID_JOB_OPTIONS = (problems: readonly string[]) =>
  `Invalid @ElasticJob options (nothing was written to ZooKeeper):\n  - ${problems.join('\n  - ')}`;

export const INVALID_REGISTRY_CONFIG = (job: string, path: string, problems: readonly string[]) =>
  `The configuration of job "${job}" in ZooKeeper (${path}) is invalid:\n  - ${problems.join('\n  - ')}\n` +
  'Fix the node, or set overwrite: true on the job to replace it with the configuration in code.';

export const DUPLICATE_JOB = (name: string, first: string, second: string) =>
  `Job name "${name}" is used by both ${first} and ${second}; job names must be unique in a namespace.`;

export const JAVA_TYPED_JOB = (name: string, type: string, ours: string) =>
  `Job "${name}" is a Java ElasticJob ${type} job in this namespace (its job root says ${type}): ${ours} cannot run it, ` +
  'and takes none of its items. Give this job another name.';
export const JOB_CONFLICT = (name: string, registered: string, ours: string) =>
  `Job "${name}" is registered in ZooKeeper for "${registered}", but ${ours} claims it. Two different jobs ` +
  'cannot share a name in a namespace: rename one, or set jobClassName if they really are the same job.';

/** Job names in a message: the first few, then how many more. */
export function jobList(jobs: readonly string[], shown = 5): string {
  const names = jobs.slice(0, shown).map((job) => `"${job}"`);
  return jobs.length > shown ? `${names.join(', ')} and ${jobs.length - shown} more` : names.join(', ');
}

export const JOB_NOT_FOUND = (name: string, known: readonly string[], where = 'on this instance') =>
  `No job named "${name}" ${where}. Known jobs: ${known.length ? jobList(known, 20) : 'none'}.`;

export const NON_STATIC_PROVIDER = (className: string, methodName: string) =>
  `Cannot register elastic job "${className}@${methodName}" because it is defined in a non static provider (request or transient scope). It is ignored.`;

export const REGISTRY_CONFIG_DIFFERS = (job: string, differences: readonly string[]) =>
  `Job "${job}": the configuration in ZooKeeper differs from the code and is the one that runs (set overwrite: true to replace it): ${differences.join('; ')}`;

export const JOBS_DISABLED = (what: string) =>
  `${what} is not available: ElasticJobModule is configured with enabled: false, so nothing connects to ZooKeeper and no job runs.`;

export const NOT_READY = (what: string) =>
  `${what} is not available yet: the ElasticJob module has not finished starting.`;

export const MISSING_PROVIDER = (job: string, field: string, className: string) =>
  `Job "${job}": ${field} ${className} is not a provider that can be resolved. Add it to the providers of a module.`;

function formatValue(value: unknown): string {
  if (typeof value === 'function') return (value as { name?: string }).name || 'function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export const EVENT_LOOP_BLOCKED = (stallMs: number, sessionTimeoutMs: number, running: readonly string[]) =>
  `The event loop was blocked for ${stallMs} ms (ZooKeeper session timeout ${sessionTimeoutMs} ms)` +
  (running.length ? `, while running job ${running.join(', ')}` : '') +
  (stallMs >= sessionTimeoutMs ? '; the session was probably lost' : '') +
  '. Job handlers must not block: move CPU-bound work to a worker thread.';

/** A step of a job's coordination or execution that failed (logged; the job goes on). */
export const JOB_STEP_FAILED = (job: string, what: string, error: unknown) =>
  `Job "${job}": ${what} failed: ${String(error)}`;

export const JOBS_OFF = (jobs: number) =>
  `ElasticJob is off (enabled: false): ${jobs} job(s) found and checked; nothing connects to ZooKeeper and no job fires.`;

export const JOBS_REGISTERED = (
  jobs: number,
  instanceId: string,
  namespace: string,
  servers: string,
  runJobs: boolean,
  names: string,
) =>
  `Registered ${jobs} job(s) as instance ${instanceId} in namespace "${namespace}" on ZooKeeper ${servers}` +
  (runJobs ? '' : ' (operate only: this instance runs no jobs)') +
  (jobs ? `: ${names}` : '');

export const LEAVING_UNREACHABLE =
  "Shutting down while ZooKeeper is unreachable: leaving without a handover. This instance's nodes go when " +
  'ZooKeeper expires its session; the others reshard then.';

export const SHUTDOWN_WAITING = (waitMs: number, running: ReadonlyArray<{ name: string; items: number[] }>) =>
  `Shutting down: waiting up to ${waitMs} ms for running items of ` +
  `${running.map((job) => `"${job.name}" (${job.items.join(', ')})`).join(', ')}; what still runs then is aborted.`;

export const SHUTDOWN_FAILED = (error: unknown) => `Shutting down the jobs failed: ${String(error)}`;

export const SESSION_CLOSE_FAILED = (error: unknown) => `Closing the ZooKeeper session failed: ${String(error)}`;

export const EVENT_LISTENER_FAILED = (type: string, error: unknown) =>
  `A job event listener failed on "${type}": ${String(error)}`;

export const STATE_LISTENER_FAILED = (state: string, error: unknown) =>
  `A connection state listener threw on ${state}: ${String(error)}`;

export const LATCH_RELEASE_RETRYING = (key: string, error: unknown) =>
  `Releasing lock node ${key} failed, retrying until it is gone: ${String(error)}`;

export const ITEM_CLAIM_FAILED = (job: string, item: number, error: unknown) =>
  `Job "${job}": claiming item ${item} failed, so it does not run now: ${String(error)}`;

export const RUNNING_CLEAR_RETRYING = (job: string, item: number, error: unknown) =>
  `Job "${job}": clearing running on item ${item} failed, retrying while the session lasts: ${String(error)}`;

export const MIRROR_WRITE_FAILED = (job: string, error: unknown) =>
  `Job "${job}": writing the assignment for ElasticJob instances failed: ${String(error)}`;

export const INVALID_CONFIG_KEPT_LAST = (problem: string) => `${problem}\nThe last valid configuration keeps running.`;

export const REREGISTER_RETRYING = (job: string, error: unknown) =>
  `Job "${job}": registering again on the new session failed, retrying: ${String(error)}`;

export const RESHARDING_PENDING = (job: string, waitedMs: number) =>
  `Job "${job}": resharding still pending after ${waitedMs} ms; this fire uses the current assignment.`;

export const RECONCILE_RESHARDING = (job: string) =>
  `Job "${job}": the assignment names instances that are gone or misses items; resharding.`;

export const RESHARDING_FORCED = (job: string, waitedMs: number) =>
  `Job "${job}": items still running after ${waitedMs} ms; resharding without waiting for them.`;

/** Why a running item's `signal` was aborted (the reason of its ExecutionAbortedError). */
export const ABORTED_AT_SHUTDOWN = 'the application is shutting down and the drain deadline passed';
export const ABORTED_SESSION_LOST = 'this instance lost its ZooKeeper session, so the item is no longer its own';
export const ABORTED_SESSION_AT_RISK =
  'this instance has been cut off from ZooKeeper for most of its session timeout, so the item may no longer be its own';

// ------------------------------------------------------------------ the execution log

/** An error as one line: its message, its code, and for a connection refused on every address, each of them. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const inner =
    error instanceof AggregateError ? error.errors.map((each: unknown) => describeError(each)).join('; ') : '';
  const cause = error.cause !== undefined && !inner ? describeError(error.cause) : '';
  return [
    error.message || error.name,
    typeof code === 'string' ? `(${code})` : '',
    inner || cause ? `: ${inner || cause}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export const EXECUTION_LOG_FAILING = (error: unknown, queued: number, bound: number) =>
  `The execution log cannot write to its database (${describeError(error)}). Jobs keep running; ` +
  `rows wait (${queued} now, up to ${bound}) and are written when it is back (tried again every 5 s at most).`;

export const EXECUTION_LOG_BACK = (downMs: number, dropped: number) =>
  `The execution log writes to its database again, after ${Math.round(downMs / 1000)} s` +
  (dropped > 0 ? `; ${dropped} rows were dropped in all since the start, for want of room.` : '; nothing was dropped.');

export const EXECUTION_LOG_DROPPING = (sinceLast: number, total: number, bound: number) =>
  `The execution log dropped ${sinceLast} rows: ${bound} were already waiting for the database ` +
  `(${total} dropped in all since the start). Raise tracing.maxQueuedRows, or look at the database.`;

export const EXECUTION_LOG_REFUSED = (rows: number, error: unknown) =>
  `The execution log's database refused ${rows} rows, which are dropped: ${describeError(error)}. ` +
  'Are JOB_EXECUTION_LOG and JOB_STATUS_TRACE_LOG of the shape ElasticJob creates?';

export const EXECUTION_LOG_NOT_FLUSHED = (rows: number) =>
  `The execution log could not write its last ${rows} rows before the shutdown deadline; they are lost.`;

export const EXECUTION_LOG_RETENTION_FAILED = (error: unknown) =>
  `The execution log could not delete its old rows (${describeError(error)}); it tries again in an hour.`;

export const TRACING_NEEDS_PG =
  'The execution log (tracing: { type: "RDB", dataSource }) needs the "pg" package: npm install pg';

export const HISTORY_NEEDS_TRACING = (what: string) =>
  `${what} needs the execution log: give ElasticJobModule the option tracing: { type: "RDB", dataSource } ` +
  '(a pg.Pool, a pool configuration or a postgres:// connection string).';
