import type { JobConfiguration } from '../config/job-configuration.js';
import type { ExecutionSource } from '../interfaces/sharding-context.interface.js';
import type { TriggerOptions } from '../interfaces/trigger-options.interface.js';
import type { FireAssignment } from './sharding.service.js';
import type { GuaranteeOutcome, GuaranteePhase } from './guarantee.service.js';

export type { FireAssignment };

/** What coordination tells a job's runtime. */
export interface CoordinationListener {
  /** A `trigger/{me}` node arrived (it is already consumed), with what it asks for. */
  onTrigger(options: TriggerOptions): void;
  /** The `config` node changed and is valid. */
  onConfigurationChanged(previous: JobConfiguration, current: JobConfiguration): void;
  /** The session is gone: local items are no longer ours. */
  onSessionLost(): void;
  /**
   * The connection has been down so long that the server may expire the session any moment:
   * local items are stopped (the same session may still come back).
   */
  onSessionAtRisk(): void;
  /** Connected again: same session, or a new one after re-registration. */
  onSessionRestored(newSession: boolean): void;
  /**
   * An operator shut the job down on this instance (its instance node deleted): no more fires
   * here; items running finish. Resolves once they have.
   */
  onShutDown(): Promise<void>;
  /** This instance claimed a crashed instance's items on `session`: run them now (source FAILOVER). */
  onFailoverItems(items: number[], session: string): void;
}

/** A fire this instance takes part in, decided on `session`; or why it does not. */
export type FirePlan = { session: string; assignment: FireAssignment } | { skipped: string };

/**
 * An item's right to run here: its fence passed on `session`. The run ends with `release()`
 * (its `running` node, and its failover claim, cleared); a run whose session is gone, or whose
 * item failover must take over, is not released: its nodes stay for the survivors to judge.
 */
export interface ItemLease {
  readonly item: number;
  readonly session: string;
  readonly source: ExecutionSource;
  release(): Promise<void>;
}

/**
 * The one port between a job's runtime and coordination: what the runtime asks (a fire's plan,
 * an item's lease, the flags it sets) and, through `attach`, what it is told.
 */
export interface JobCoordinationPort {
  readonly jobName: string;
  /** The configuration that runs (the registry's). */
  readonly config: JobConfiguration;
  /** When this instance joined the job: its timer counts fires from then. */
  readonly joinedAt: Date | undefined;

  /** The runtime that is told what coordination sees (one). */
  attach(listener: CoordinationListener): void;
  /** The timer started: recover what earlier incarnations left. */
  started(): void;
  /** The session items may start on now; undefined while cut off or not registered on it. */
  liveSession(): string | undefined;

  /** Prepares the fire (resharding first when needed) and gives this instance's items for it. */
  planFire(fireTime: Date, source: ExecutionSource): Promise<FirePlan>;
  /** The assignment in force at `fireTime` (a queued rerun checks it is still ours). */
  assignmentFor(fireTime: Date, manual?: boolean): FireAssignment;
  /**
   * ElasticJob's distribute-once barrier: `work` runs on one instance only, once every item of
   * the job is marked at `phase` (this instance marks `items`), or nowhere after `timeoutMs`.
   */
  onceAcrossCluster(
    phase: GuaranteePhase,
    items: readonly number[],
    work: () => Promise<void>,
    timeoutMs: number,
    workTimeoutMs?: number,
  ): Promise<GuaranteeOutcome>;
  /** Being run elsewhere as failover: its owner leaves it alone meanwhile. */
  isFailoverElsewhere(item: number): boolean;
  /** ElasticJob's clock check: this clock against ZooKeeper's, in ms. */
  clockDifferenceMs(): Promise<number>;

  /** The fence before an item's handler; undefined when the item may not run here now. */
  beginItem(item: number, session: string, source: ExecutionSource): Promise<ItemLease | undefined>;
  /** Gives back failover claims this runtime will not run. */
  releaseFailover(item: number, session: string): Promise<void>;
  setMisfire(item: number): Promise<void>;
  clearMisfire(item: number): Promise<void>;
}
