import { createRequire } from 'node:module';
import type { ModuleRef } from '@nestjs/core';

/** What job events are called on the app's event emitter: `elastic-job.item-finished`, ... */
export const EVENT_NAME_PREFIX = 'elastic-job.';

interface Emitter {
  emit(event: string, ...values: unknown[]): boolean;
}

/**
 * The app's `EventEmitter2`, when it imports `@nestjs/event-emitter`'s `EventEmitterModule`;
 * undefined otherwise. The package is looked up from here (as a peer), never required: an app
 * without it loads nothing of it.
 */
export function findAppEventEmitter(moduleRef: ModuleRef): Emitter | undefined {
  let token: unknown;
  try {
    // `__filename`: this file is CommonJS once built, and Vitest provides it to the sources.
    token = (createRequire(__filename)('@nestjs/event-emitter') as { EventEmitter2?: unknown }).EventEmitter2;
  } catch {
    return undefined;
  }
  if (typeof token !== 'function') return undefined;
  try {
    return moduleRef.get(token as never, { strict: false }) as Emitter;
  } catch {
    return undefined;
  }
}
