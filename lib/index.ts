/**
 * nestjs-elastic-job: ElasticJob-Lite's distributed, sharded cron jobs as a NestJS module.
 * @publicApi
 */
export * from './errors/index.js';
export * from './registry/index.js';
