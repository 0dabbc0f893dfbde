import { SetMetadata } from '@nestjs/common';
import { ELASTIC_JOB_METADATA } from '../elastic-job.constants.js';
import type { ElasticJobOptions } from '../interfaces/elastic-job-options.interface.js';

/**
 * Declares a method of a singleton provider (or controller) as a sharded, distributed cron
 * job. The method is called once per local item per fire with a `ShardingContext`.
 * @publicApi
 */
export const ElasticJob = (options: ElasticJobOptions): MethodDecorator => SetMetadata(ELASTIC_JOB_METADATA, options);
