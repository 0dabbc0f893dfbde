/**
 * `nestjs-elastic-job/console`: the ElasticJob console inside the app's HTTP server.
 * @publicApi
 */
export { ElasticJobConsoleModule } from './elastic-job-console.module.js';
export { CONSOLE_WRITE_HEADER } from './console-access.guard.js';
export type { ConsoleGuardAuth, ConsoleRole, ConsoleUser, ElasticJobConsoleOptions } from './console-options.js';
export type { NamespaceJobBrief, NamespaceServer } from '../interfaces/namespace-view.interface.js';
export type { ConsoleJobBrief } from './console-api.controller.js';
