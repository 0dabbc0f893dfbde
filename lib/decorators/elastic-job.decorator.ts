import { ELASTIC_JOB_CRON_METADATA, ELASTIC_JOB_METADATA } from '../elastic-job.constants.js';
import type { ElasticJobOnCronOptions, ElasticJobOptions } from '../interfaces/elastic-job-options.interface.js';
import { SCHEDULE_CRON_OPTIONS, SCHEDULE_METADATA_KEYS } from '../config/schedule-cron.js';

/**
 * Declares a method of a singleton provider (or controller) as a sharded, distributed cron
 * job. The method is called once per local item per fire with a `ShardingContext`.
 *
 * Written above `@nestjs/schedule`'s `@Cron()`, it takes that method over: its expression
 * (with the meaning it has there), name and time zone come from `@Cron()`, and
 * `@nestjs/schedule` no longer runs it on every replica.
 * @publicApi
 */
export function ElasticJob(options: ElasticJobOptions): MethodDecorator;
export function ElasticJob(options: ElasticJobOnCronOptions): MethodDecorator;
export function ElasticJob(options: ElasticJobOptions | ElasticJobOnCronOptions): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const cron: unknown = Reflect.getMetadata(SCHEDULE_CRON_OPTIONS, method);
    if (cron !== undefined) {
      // Ours from now on: @nestjs/schedule's explorer finds nothing here to run.
      for (const key of SCHEDULE_METADATA_KEYS) Reflect.deleteMetadata(key, method);
      Reflect.defineMetadata(ELASTIC_JOB_CRON_METADATA, cron, method);
    }
    Reflect.defineMetadata(ELASTIC_JOB_METADATA, options, method);
    return descriptor;
  };
}
