import { loadOptional } from '../utils/optional-package.js';
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
  const token = loadOptional<{ EventEmitter2?: unknown }>('@nestjs/event-emitter')?.EventEmitter2;
  if (typeof token !== 'function') return undefined;
  try {
    return moduleRef.get(token as never, { strict: false }) as Emitter;
  } catch {
    return undefined;
  }
}
