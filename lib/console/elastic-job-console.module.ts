import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { ConsoleAccessGuard, CONSOLE_OPTIONS } from './console-access.guard.js';
import { ConsoleApiController } from './console-api.controller.js';
import { ConsoleNamespace } from './console-namespace.js';
import { ConsolePageController } from './console-page.controller.js';
import { resolveConsoleOptions, type ElasticJobConsoleOptions } from './console-options.js';

/**
 * The ElasticJob console in the app's own HTTP server: `ElasticJobConsoleModule.forRoot({
 * auth: { users: [...] } })` beside `ElasticJobModule`. Its JSON API is under
 * `/{path}/api` (default `/elastic-job/api`). An app that does not import it loads nothing of it
 * (`nestjs-elastic-job/console`).
 * @publicApi
 */
@Module({})
export class ElasticJobConsoleModule {
  static forRoot(options: ElasticJobConsoleOptions): DynamicModule {
    const resolved = resolveConsoleOptions(options);
    return {
      module: ElasticJobConsoleModule,
      imports: [RouterModule.register([{ path: resolved.path, module: ElasticJobConsoleModule }])],
      controllers: [ConsoleApiController, ConsolePageController],
      providers: [{ provide: CONSOLE_OPTIONS, useValue: resolved }, ConsoleAccessGuard, ConsoleNamespace],
    };
  }
}
