export * from './elastic-job.decorator.js';
