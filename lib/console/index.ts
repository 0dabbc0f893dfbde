/**
 * `nestjs-elastic-job/console`: the ElasticJob console inside the app's HTTP server.
 * @publicApi
 */
export { ElasticJobConsoleModule } from './elastic-job-console.module.js';
export { CONSOLE_WRITE_HEADER } from './console-access.guard.js';
export type { ConsoleRole, ConsoleUser, ElasticJobConsoleOptions } from './console-options.js';
