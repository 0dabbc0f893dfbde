import type { JobEvent } from '../interfaces/job-event.interface.js';

type WithoutStamp<T> = T extends unknown ? Omit<T, 'instanceId' | 'at'> : never;

/** An event as coordination and execution tell it; the stream stamps the instance and the time. */
export type JobEventInput = WithoutStamp<JobEvent>;

/** Where coordination and execution tell what happened. Never throws. */
export type JobEventSink = (event: JobEventInput) => void;
