import { UNKNOWN_LISTENED_JOB, UNKNOWN_OPTION } from '../elastic-job.messages.js';
import { InvalidJobOptionsError } from '../errors/invalid-job-options.error.js';
import type { ElasticJobListener, JobListenerOptions } from '../interfaces/job-listener.interface.js';
import type { ResolvedJobListener } from '../execution/job-listeners.js';
import { closestName, unknownKeys } from '../utils/closest-name.js';

/** A provider marked `@JobListener()`, as discovery found it. */
export interface ListenerDefinition {
  instance: object;
  className: string;
  options: JobListenerOptions;
}

const KEYS: ReadonlyArray<keyof JobListenerOptions> = ['jobs', 'order', 'timeoutMs', 'distributeOnce'];
const ONCE_KEYS = ['startedTimeoutMs', 'completedTimeoutMs'];
export const DEFAULT_LISTENER_TIMEOUT_MS = 30_000;
export const DEFAULT_STARTED_TIMEOUT_MS = 5_000;
export const DEFAULT_COMPLETED_TIMEOUT_MS = 60_000;

/**
 * Each job's listeners, in order (ascending `order`, then class name). Every problem of every
 * listener is told at once, naming the listener and what is allowed; nothing starts then.
 */
export function resolveListeners(
  definitions: readonly ListenerDefinition[],
  jobNames: readonly string[],
): Map<string, ResolvedJobListener[]> {
  const problems: string[] = [];
  const byJob = new Map<string, ResolvedJobListener[]>(jobNames.map((job) => [job, []]));
  for (const { instance, className, options } of definitions) {
    const where = `@JobListener() on ${className}`;
    if (!options || typeof options !== 'object') {
      problems.push(`${where}: its options must be an object { jobs?, order?, timeoutMs? }.`);
      continue;
    }
    for (const { key, closest } of unknownKeys(options, KEYS)) problems.push(UNKNOWN_OPTION(where, key, closest, KEYS));
    const { jobs, order = 0, timeoutMs = DEFAULT_LISTENER_TIMEOUT_MS, distributeOnce } = options;
    let once: ResolvedJobListener['once'];
    if (distributeOnce !== undefined) {
      const given = distributeOnce === true ? {} : distributeOnce;
      if (!given || typeof given !== 'object') {
        problems.push(`${where}: distributeOnce must be true or { startedTimeoutMs?, completedTimeoutMs? }.`);
      } else {
        for (const { key, closest } of unknownKeys(given, ONCE_KEYS)) {
          problems.push(UNKNOWN_OPTION(`${where} distributeOnce`, key, closest, ONCE_KEYS));
        }
        const { startedTimeoutMs = DEFAULT_STARTED_TIMEOUT_MS, completedTimeoutMs = DEFAULT_COMPLETED_TIMEOUT_MS } =
          given;
        for (const [field, value] of [
          ['startedTimeoutMs', startedTimeoutMs],
          ['completedTimeoutMs', completedTimeoutMs],
        ] as const) {
          if (!Number.isInteger(value) || value <= 0) {
            problems.push(
              `${where}: distributeOnce.${field} ${JSON.stringify(value)} must be a positive integer (milliseconds).`,
            );
          }
        }
        once = { startedTimeoutMs, completedTimeoutMs };
      }
    }
    if (jobs !== undefined && (!Array.isArray(jobs) || jobs.some((job) => typeof job !== 'string'))) {
      problems.push(`${where}: jobs must be an array of job names.`);
      continue;
    }
    if (!Number.isInteger(order)) problems.push(`${where}: order ${JSON.stringify(order)} must be an integer.`);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      problems.push(`${where}: timeoutMs ${JSON.stringify(timeoutMs)} must be a positive integer (milliseconds).`);
    }
    const listener = instance as ElasticJobListener;
    if (typeof listener.beforeJobExecuted !== 'function' && typeof listener.afterJobExecuted !== 'function') {
      problems.push(`${where}: the class has neither beforeJobExecuted nor afterJobExecuted.`);
    }
    for (const job of jobs ?? []) {
      if (!byJob.has(job)) {
        const closest = closestName(job, jobNames);
        problems.push(UNKNOWN_LISTENED_JOB(className, job, jobNames) + (closest ? ` Did you mean "${closest}"?` : ''));
      }
    }
    for (const job of jobs ?? jobNames) {
      byJob.get(job)?.push({ name: className, order, timeoutMs, listener, ...(once ? { once } : {}) });
    }
  }
  for (const [job, listeners] of byJob) {
    const once = listeners.filter((entry) => entry.once);
    if (once.length > 1) {
      problems.push(
        `Job "${job}" has ${once.length} distribute-once listeners (${once.map((entry) => entry.name).join(', ')}): ` +
          "at most one, as they share the job's guarantee nodes; give it both steps.",
      );
    }
  }
  if (problems.length > 0) throw new InvalidJobOptionsError(problems);
  for (const listeners of byJob.values()) {
    listeners.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  }
  return byJob;
}
