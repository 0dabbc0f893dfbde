export * from './elastic-job.decorator.js';
export * from './job-listener.decorator.js';
export * from './elastic-dataflow-job.decorator.js';
