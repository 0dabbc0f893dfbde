export * from './elastic-job.error.js';
export * from './lock-timeout.error.js';
export * from './registry-center-unavailable.error.js';
export * from './registry-operation.error.js';
