import { createRequire } from 'node:module';

/**
 * Loads a package the app may or may not have (an optional peer), from where this package is
 * installed; throws what `require` throws when it is missing.
 */
export function requireOptional<T>(name: string): T {
  // `__filename`: this file is CommonJS once built, and Vitest provides it to the sources.
  return createRequire(__filename)(name) as T;
}

/** The package when the app has it, else undefined. */
export function loadOptional<T>(name: string): T | undefined {
  try {
    return requireOptional<T>(name);
  } catch {
    return undefined;
  }
}
