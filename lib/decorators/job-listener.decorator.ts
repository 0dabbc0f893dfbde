import { SetMetadata } from '@nestjs/common';
import { ELASTIC_JOB_LISTENER_METADATA } from '../elastic-job.constants.js';
import type { JobListenerOptions } from '../interfaces/job-listener.interface.js';

/**
 * Marks a singleton provider implementing `ElasticJobListener` (`beforeJobExecuted`,
 * `afterJobExecuted`) as a listener of the jobs it names, or of every job.
 * @publicApi
 */
export const JobListener = (options: JobListenerOptions = {}): ClassDecorator =>
  SetMetadata(ELASTIC_JOB_LISTENER_METADATA, options);
