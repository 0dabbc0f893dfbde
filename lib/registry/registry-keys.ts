import { InvalidRegistryKeyError } from '../errors/invalid-registry-key.error.js';

/** Throws unless `key` is an absolute, normalised path ("/", "/job", "/job/config"). */
export function assertRegistryKey(key: string): void {
  if (key === '/') return;
  if (!key.startsWith('/') || key.endsWith('/') || key.includes('//')) {
    throw new InvalidRegistryKeyError(key);
  }
}

export function joinKey(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

export function parentKey(key: string): string {
  const index = key.lastIndexOf('/');
  return index <= 0 ? '/' : key.slice(0, index);
}

/** True when `key` is `ancestor` or lies under it. */
export function isUnder(key: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return key === ancestor || key.startsWith(`${ancestor}/`);
}

/** Children in Curator's order: reverse lexicographic by UTF-16 code units, as Java's `compareTo`. */
export function reverseLexicographic(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}
