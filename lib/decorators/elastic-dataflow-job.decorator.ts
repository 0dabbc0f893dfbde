import { SetMetadata } from '@nestjs/common';
import { ELASTIC_DATAFLOW_JOB_METADATA } from '../elastic-job.constants.js';
import type { DataflowJobOptions } from '../interfaces/dataflow-job.interface.js';

/**
 * Declares a singleton provider implementing `DataflowJob<T>` (`fetchData`, `processData`) as
 * a sharded, distributed dataflow job (ElasticJob's `DataflowJob`).
 * @publicApi
 */
export const ElasticDataflowJob = (options: DataflowJobOptions): ClassDecorator =>
  SetMetadata(ELASTIC_DATAFLOW_JOB_METADATA, options);
