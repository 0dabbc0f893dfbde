/**
 * Finds a PostgreSQL server installation for the testing server, the test suite and the demo;
 * installs Debian's `postgresql` package when allowed. PostgreSQL refuses to run as root, so
 * when this process is root the server runs as the `postgres` system user.
 */
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { installDebianPackage, isRoot } from './debian-package.js';
import { delimiter, join } from 'node:path';

const DEBIAN_ROOT = '/usr/lib/postgresql';
const SERVER_USER = 'postgres';

/** An unprivileged account to run the server as. */
export interface PostgresServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** What it takes to start a server: its programs, and whom to run them as. */
export interface PostgresInstallation {
  /** The folder holding `initdb` and `postgres`. */
  bin: string;
  initdb: string;
  postgres: string;
  /**
   * The account the server runs as when this process is root (PostgreSQL refuses to run as
   * root); `undefined` when the server runs as the current user, or when no such account exists.
   */
  runAs: PostgresServerUser | undefined;
  /** Where it was found, for messages. */
  source: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasServer(bin: string): boolean {
  return isExecutable(join(bin, 'initdb')) && isExecutable(join(bin, 'postgres'));
}

/** Debian's `/usr/lib/postgresql/<version>/bin` folders holding a server, newest first. */
function debianBins(): string[] {
  if (!existsSync(DEBIAN_ROOT)) return [];
  return readdirSync(DEBIAN_ROOT)
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(DEBIAN_ROOT, version, 'bin'))
    .filter(hasServer);
}

function lookUpUser(name: string): PostgresServerUser | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const uid = id('-u');
    const gid = id('-g');
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function installation(bin: string, source: string): PostgresInstallation {
  return {
    bin,
    initdb: join(bin, 'initdb'),
    postgres: join(bin, 'postgres'),
    runAs: isRoot() ? lookUpUser(SERVER_USER) : undefined,
    source,
  };
}

/**
 * Returns the programs of a usable PostgreSQL server, or `undefined`. Looked up in order:
 * `PG_BIN` (a folder holding `initdb` and `postgres`), then the newest of Debian's
 * `/usr/lib/postgresql/<version>/bin`, then `PATH`.
 */
export function locatePostgres(): PostgresInstallation | undefined {
  const pgBin = process.env.PG_BIN;
  if (pgBin && hasServer(pgBin)) return installation(pgBin, `PG_BIN=${pgBin}`);
  const [debian] = debianBins();
  if (debian) return installation(debian, `Debian package (${debian})`);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && hasServer(dir)) return installation(dir, `PATH (${dir})`);
  }
  return undefined;
}

export const POSTGRES_INSTALL_HELP =
  'A PostgreSQL server (initdb and postgres) is needed to run the tests and the demo.\n' +
  '  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y postgresql\n' +
  '  elsewhere:      install PostgreSQL and put its bin folder on PATH, or set PG_BIN to it.\n' +
  'PostgreSQL refuses to run as root: as root, a "postgres" system user is needed to run the\n' +
  'server (the Debian package creates it; else: useradd --system postgres).';

/**
 * Throws unless the server can be started by this process: as root, that needs the
 * unprivileged `postgres` account.
 */
export function assertCanRunServer(found: PostgresInstallation): void {
  if (isRoot() && !found.runAs) {
    throw new Error(
      `PostgreSQL (${found.source}) cannot run as root and there is no "${SERVER_USER}" user to run it as.\n` +
        POSTGRES_INSTALL_HELP,
    );
  }
}

/** Makes sure PostgreSQL is there, installing Debian's package when we are root. */
export function ensurePostgres(log: (message: string) => void = console.log): PostgresInstallation {
  const found = locatePostgres();
  if (found) {
    assertCanRunServer(found);
    return found;
  }
  const installed = installDebianPackage('postgresql', 'PostgreSQL', locatePostgres, POSTGRES_INSTALL_HELP, log);
  assertCanRunServer(installed);
  return installed;
}
