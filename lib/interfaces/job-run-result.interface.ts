import type { ItemStatus } from './job-event.interface.js';
import type { ExecutionSource } from './sharding-context.interface.js';

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
