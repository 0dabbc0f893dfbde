import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ELASTIC_DATAFLOW_JOB_METADATA,
  ELASTIC_JOB_CRON_METADATA,
  ELASTIC_JOB_LISTENER_METADATA,
  ELASTIC_JOB_METADATA,
} from './elastic-job.constants.js';
import { SCHEDULE_CRON_OPTIONS, type ScheduleCronMetadata } from './config/schedule-cron.js';
import type { DataflowJobOptions } from './interfaces/dataflow-job.interface.js';
import type { ElasticJobOptions } from './interfaces/elastic-job-options.interface.js';
import type { JobListenerOptions } from './interfaces/job-listener.interface.js';

@Injectable()
export class ElasticJobMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getJobOptions(target: unknown): ElasticJobOptions | undefined {
    if (typeof target !== 'function') return undefined;
    return this.reflector.get<ElasticJobOptions | undefined>(ELASTIC_JOB_METADATA, target);
  }

  /** `@Cron()` options `@ElasticJob()` took over, and whether `@Cron()` came after it (still @nestjs/schedule's). */
  getScheduleCron(target: unknown): { taken?: ScheduleCronMetadata; after: boolean } {
    if (typeof target !== 'function') return { after: false };
    return {
      taken: Reflect.getMetadata(ELASTIC_JOB_CRON_METADATA, target) as ScheduleCronMetadata | undefined,
      after: Reflect.getMetadata(SCHEDULE_CRON_OPTIONS, target) !== undefined,
    };
  }

  getDataflowOptions(target: unknown): DataflowJobOptions | undefined {
    if (typeof target !== 'function') return undefined;
    return this.reflector.get<DataflowJobOptions | undefined>(ELASTIC_DATAFLOW_JOB_METADATA, target);
  }

  getListenerOptions(target: unknown): JobListenerOptions | undefined {
    if (typeof target !== 'function') return undefined;
    return this.reflector.get<JobListenerOptions | undefined>(ELASTIC_JOB_LISTENER_METADATA, target);
  }
}
