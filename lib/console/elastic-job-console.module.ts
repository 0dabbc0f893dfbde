import { Module, type CanActivate, type DynamicModule, type Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { RouterModule } from '@nestjs/core';
import { ConsoleAccessGuard, CONSOLE_OPTIONS } from './console-access.guard.js';
import { ConsoleApiController } from './console-api.controller.js';
import { ConsoleNamespace } from './console-namespace.js';
import { ConsolePageController } from './console-page.controller.js';
import { resolveConsoleOptions, type ElasticJobConsoleOptions } from './console-options.js';

/**
 * The controller as it is, or, with the app's own guard, a copy of it with that guard first,
 * then the console's (so this app's options never change what another app in the process serves).
 */
function behind<T extends Type>(controller: T, appGuard: Type<CanActivate> | undefined): T {
  if (!appGuard) return controller;
  const guarded = class extends controller {};
  Object.defineProperty(guarded, 'name', { value: controller.name });
  Reflect.defineMetadata(GUARDS_METADATA, [appGuard, ConsoleAccessGuard], guarded);
  return guarded;
}

/**
 * The ElasticJob console in the app's own HTTP server: `ElasticJobConsoleModule.forRoot({
 * auth: { users: [...] } })` (or `auth: { guard, roleOf }`, the app's own guard) beside
 * `ElasticJobModule`. Its JSON API is under
 * `/{path}/api` (default `/elastic-job/api`). An app that does not import it loads nothing of it
 * (`nestjs-elastic-job/console`).
 * @publicApi
 */
@Module({})
export class ElasticJobConsoleModule {
  static forRoot(options: ElasticJobConsoleOptions): DynamicModule {
    const resolved = resolveConsoleOptions(options);
    const appGuard = resolved.guard?.guard;
    return {
      module: ElasticJobConsoleModule,
      imports: [RouterModule.register([{ path: resolved.path, module: ElasticJobConsoleModule }]), ...resolved.imports],
      controllers: [ConsoleApiController, ConsolePageController].map((controller) => behind(controller, appGuard)),
      providers: [{ provide: CONSOLE_OPTIONS, useValue: resolved }, ConsoleAccessGuard, ConsoleNamespace],
    };
  }
}
