export * from './elastic-job-module-options.interface.js';
export * from './elastic-job-options.interface.js';
export * from './job-error-handler.interface.js';
export * from './job-sharding-strategy.interface.js';
export * from './sharding-context.interface.js';
export * from './job-configuration-changes.interface.js';
