import type { ExecutionSource } from './sharding-context.interface.js';

/** How an item's run ended. `TIMED_OUT` and `ABORTED` runs may still have a handler going on. */
export type ItemStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What every event carries: when this instance saw it, and which instance that is. */
interface EventBase {
  /** This instance (the one that tells the event). */
  instanceId: string;
  /** When it happened here. */
  at: Date;
}

interface JobEventBase extends EventBase {
  job: string;
}

/** The job's timer (or a trigger, a misfire catch-up) fired: these are this instance's items for it. */
export interface FireScheduledEvent extends JobEventBase {
  type: 'fire-scheduled';
  fireTime: Date;
  source: ExecutionSource;
  /** This instance's items for the fire (possibly none). */
  items: readonly number[];
  /** Those of `items` still running here from an earlier fire: they run again right after it (misfire), or not at all. */
  queued: readonly number[];
  shardingTotalCount: number;
  /** ElasticJob's task id of this instance's part of the fire. */
  taskId: string;
  /** A trigger's own job parameter, when it gave one. */
  jobParameter?: string;
}

/**
 * This instance starts running items together: a fire's (its timer, a trigger, a misfire
 * catch-up), a misfire rerun's, or failed-over items'. Each item's fence may still refuse it.
 */
export interface FireStartedEvent extends JobEventBase {
  type: 'fire-started';
  taskId: string;
  fireTime: Date;
  source: ExecutionSource;
  items: readonly number[];
}

/**
 * Everything that `fire-started` started is over here (or, for a fire with nothing to start,
 * the fire is done): the items that ran, each with how it ended.
 */
export interface FireFinishedEvent extends JobEventBase {
  type: 'fire-finished';
  taskId: string;
  fireTime: Date;
  source: ExecutionSource;
  /** Items that ran (their fence passed), in item order. */
  items: ReadonlyArray<{ item: number; status: ItemStatus; error?: unknown }>;
  /** Items started that did not run here: running elsewhere, or the session gone (their fence said no). */
  skipped: readonly number[];
  /** Items of the fire still running here from an earlier one, queued behind it. */
  queued: readonly number[];
}

/** A fire this instance could not take part in (no session, or not registered on it yet). */
export interface FireSkippedEvent extends JobEventBase {
  type: 'fire-skipped';
  fireTime: Date;
  reason: string;
}

/** An item's handler is about to be entered: its fence passed. */
export interface ItemStartedEvent extends JobEventBase {
  type: 'item-started';
  item: number;
  /** This run's id (a UUID): the id of its row in the execution log. */
  executionId: string;
  /** ElasticJob's task id: `{job}@-@{items}@-@{READY}@-@{serverIp}@-@{pid}`. */
  taskId: string;
  source: ExecutionSource;
  fireTime: Date;
  shardingTotalCount: number;
  shardingParameter: string | undefined;
  startedAt: Date;
}

/** An item's run is over for this instance: returned, threw, timed out or was aborted. */
export interface ItemFinishedEvent extends JobEventBase {
  type: 'item-finished';
  item: number;
  /** The same as the `item-started` of this run. */
  executionId: string;
  taskId: string;
  source: ExecutionSource;
  fireTime: Date;
  status: ItemStatus;
  startedAt: Date;
  durationMs: number;
  /** What the handler threw, or the timeout or abort error. */
  error?: unknown;
}

/** A fire found the item still running here: `misfire` is set and it runs once more right after. */
export interface MisfireSetEvent extends JobEventBase {
  type: 'misfire-set';
  item: number;
  fireTime: Date;
}

/** This instance claimed a crashed instance's items; they run now with source `FAILOVER`. */
export interface FailoverClaimedEvent extends JobEventBase {
  type: 'failover-claimed';
  items: readonly number[];
}

/** This instance, as the job's leader, published a new assignment. */
export interface ReshardedEvent extends JobEventBase {
  type: 'resharded';
  /** Item → instance id. */
  items: Readonly<Record<string, string>>;
  /** The first fire time (epoch ms) the assignment applies from; undefined: from now. */
  from: number | undefined;
}

/** The job's leader, as this instance sees it (on joining, and on every change). */
export interface LeaderChangedEvent extends JobEventBase {
  type: 'leader-changed';
  instance: string;
}

/** An instance joined the job (this one included). */
export interface InstanceJoinedEvent extends JobEventBase {
  type: 'instance-joined';
  instance: string;
}

/** An instance left the job: gracefully, or its session ended. */
export interface InstanceLeftEvent extends JobEventBase {
  type: 'instance-left';
  instance: string;
}

/** Cut off from ZooKeeper for most of the session timeout: running items are stopped. */
export interface SessionAtRiskEvent extends EventBase {
  type: 'session-at-risk';
  sessionId: string;
}

/** This instance's ZooKeeper session expired: its items are no longer its own. */
export interface SessionLostEvent extends EventBase {
  type: 'session-lost';
  sessionId: string;
}

/** Connected again: the same session (`newSession` false), or a new one after a lost one. */
export interface SessionRestoredEvent extends EventBase {
  type: 'session-restored';
  sessionId: string;
  newSession: boolean;
}

/**
 * The one place where the life of a fire is told, and what the cluster did around it, as this
 * instance saw it. Subscribe through `JobEventStream`.
 */
export type JobEvent =
  | FireScheduledEvent
  | FireSkippedEvent
  | FireStartedEvent
  | FireFinishedEvent
  | ItemStartedEvent
  | ItemFinishedEvent
  | MisfireSetEvent
  | FailoverClaimedEvent
  | ReshardedEvent
  | LeaderChangedEvent
  | InstanceJoinedEvent
  | InstanceLeftEvent
  | SessionAtRiskEvent
  | SessionLostEvent
  | SessionRestoredEvent;

export type JobEventType = JobEvent['type'];

/** The event of one type. */
export type JobEventOf<T extends JobEventType> = Extract<JobEvent, { type: T }>;
