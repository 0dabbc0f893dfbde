import type { ExecutionSource } from '../interfaces/sharding-context.interface.js';

export type ItemStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ItemResult {
  item: number;
  status: ItemStatus;
  /** What the handler returned (SUCCEEDED only). */
  result?: unknown;
  error?: unknown;
  startedAt: Date;
  durationMs: number;
}

/** One run of a job on this instance: the items it ran for one fire (or trigger). */
export interface JobRunResult {
  jobName: string;
  taskId: string;
  executionSource: ExecutionSource;
  fireTime: Date;
  /** This instance's items, ascending; empty when it had none for this fire. */
  items: ItemResult[];
}
