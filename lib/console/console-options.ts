import { InvalidModuleOptionsError } from '../errors/invalid-module-options.error.js';
import { UNKNOWN_OPTION } from '../elastic-job.messages.js';
import { unknownKeys } from '../utils/closest-name.js';

/** `admin` may do everything; `guest` may only read (ElasticJob-UI's two roles). */
export type ConsoleRole = 'admin' | 'guest';

/** A console user. No user exists unless the app lists it: there is no default password. */
export interface ConsoleUser {
  name: string;
  password: string;
  role: ConsoleRole;
}

export interface ElasticJobConsoleOptions {
  /** Where the console is served in the app's HTTP server. Default `elastic-job`. */
  path?: string;
  /**
   * Who may use the console: users (HTTP Basic authentication, passwords compared in constant
   * time), or `false` to leave it open (only when the app protects it some other way). The
   * console refuses to start without one of the two.
   */
  auth: { users: ConsoleUser[] } | false;
}

export interface ResolvedConsoleOptions {
  path: string;
  users: ConsoleUser[] | undefined;
}

const KEYS = ['path', 'auth'];
const AUTH_KEYS = ['users'];
const USER_KEYS = ['name', 'password', 'role'];
const ROLES: readonly ConsoleRole[] = ['admin', 'guest'];

function invalid(problem: string): never {
  throw new InvalidModuleOptionsError(`Invalid ElasticJobConsoleModule options: ${problem}`);
}

function refuseUnknown(record: object, known: string[], where: string): void {
  const unknown = unknownKeys(record, known);
  if (unknown.length > 0) {
    throw new InvalidModuleOptionsError(
      unknown.map(({ key, closest }) => UNKNOWN_OPTION(where, key, closest, known)).join('\n'),
    );
  }
}

/** Checks the console's options; every problem is named with what is allowed. */
export function resolveConsoleOptions(options: ElasticJobConsoleOptions | undefined): ResolvedConsoleOptions {
  if (!options || typeof options !== 'object') {
    invalid('they are missing: give at least { auth: { users: [...] } } (or auth: false).');
  }
  refuseUnknown(options, KEYS, 'the ElasticJobConsoleModule options');
  const path = options.path ?? 'elastic-job';
  if (typeof path !== 'string' || !/^[A-Za-z0-9._~/-]*$/.test(path)) {
    invalid(`path ${JSON.stringify(path)} is not a URL path (letters, digits, "-", "_", ".", "~" and "/").`);
  }
  const auth = options.auth as unknown;
  if (auth === undefined) {
    invalid(
      'auth is missing. The console operates the cluster: give it users, auth: { users: [{ name, password, role: "admin" | "guest" }] }, ' +
        'or say auth: false to leave it open (only behind protection of your own).',
    );
  }
  if (auth === false) return { path: path.replace(/^\/+|\/+$/g, ''), users: undefined };
  if (!auth || typeof auth !== 'object') invalid(`auth ${JSON.stringify(auth)} must be { users: [...] } or false.`);
  refuseUnknown(auth, AUTH_KEYS, 'the console auth options');
  const users = (auth as { users?: unknown }).users;
  if (!Array.isArray(users) || users.length === 0) {
    invalid('auth.users must list at least one user { name, password, role: "admin" | "guest" }.');
  }
  const names = new Set<string>();
  users.forEach((user: unknown, index) => {
    const where = `auth.users[${index}]`;
    if (!user || typeof user !== 'object') invalid(`${where} must be { name, password, role }.`);
    refuseUnknown(user, USER_KEYS, `the console user ${where}`);
    const { name, password, role } = user as Partial<ConsoleUser>;
    if (typeof name !== 'string' || !/^[^:\s]+$/.test(name)) {
      invalid(`${where}.name ${JSON.stringify(name)} must be a non-empty name without ":" or spaces.`);
    }
    if (names.has(name)) invalid(`${where}.name "${name}" is listed twice.`);
    names.add(name);
    if (typeof password !== 'string' || password.length < 8) {
      invalid(`${where}.password must be a string of at least 8 characters (there is no default password).`);
    }
    if (!ROLES.includes(role as ConsoleRole)) {
      invalid(`${where}.role ${JSON.stringify(role)} must be "admin" or "guest".`);
    }
  });
  return { path: path.replace(/^\/+|\/+$/g, ''), users: users as ConsoleUser[] };
}
