export * from './elastic-job.decorator.js';
export * from './job-listener.decorator.js';
