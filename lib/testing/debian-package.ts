import { execFileSync, spawnSync } from 'node:child_process';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Installs Debian's `pkg` with apt-get, when this process may (root, apt-get present); else
 * throws `notFound`. Returns what `locate` finds after the install, or throws saying so.
 */
export function installDebianPackage<T>(
  pkg: string,
  what: string,
  locate: () => T | undefined,
  help: string,
  log: (message: string) => void,
): T {
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot() || !hasApt) throw new Error(`${what} was not found.\n${help}`);
  log(`${what} not found: installing the Debian package "${pkg}" (apt-get)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  const installed = locate();
  if (!installed) throw new Error(`apt-get installed "${pkg}" but no usable server was found.\n${help}`);
  return installed;
}
