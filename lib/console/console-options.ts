import type { CanActivate, ModuleMetadata, Type } from '@nestjs/common';
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

/**
 * The app's own access rule: its Nest guard decides who gets in (it runs before the console's
 * own checks, with the app's authentication), and `roleOf` says what each request may do.
 */
export interface ConsoleGuardAuth {
  /** A guard class of the app (a passport `AuthGuard('jwt')`, a session guard, ...). */
  guard: Type<CanActivate>;
  /** The request's console role once the guard let it in; undefined refuses it (403). */
  roleOf: (request: any) => ConsoleRole | undefined;
}

export interface ElasticJobConsoleOptions {
  /** Where the console is served in the app's HTTP server. Default `elastic-job`. */
  path?: string;
  /**
   * Who may use the console: users (HTTP Basic authentication, passwords compared in constant
   * time), the app's own guard with a role per request, or `false` to leave it open (only when
   * the app protects it some other way). The console refuses to start without one of these.
   */
  auth: { users: ConsoleUser[] } | ConsoleGuardAuth | false;
  /** Modules the app's guard needs (its dependencies), when they are not global. */
  imports?: ModuleMetadata['imports'];
}

export interface ResolvedConsoleOptions {
  path: string;
  users: ConsoleUser[] | undefined;
  guard: ConsoleGuardAuth | undefined;
  imports: NonNullable<ModuleMetadata['imports']>;
}

const KEYS = ['path', 'auth', 'imports'];
const AUTH_KEYS = ['users'];
const GUARD_KEYS = ['guard', 'roleOf'];
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
  const imports = options.imports ?? [];
  if (!Array.isArray(imports)) invalid('imports must be an array of modules.');
  const base = { path: path.replace(/^\/+|\/+$/g, ''), users: undefined, guard: undefined, imports };
  if (auth === false) return base;
  if (!auth || typeof auth !== 'object') {
    invalid(`auth ${JSON.stringify(auth)} must be { users: [...] }, { guard, roleOf } or false.`);
  }
  if ('guard' in auth) {
    refuseUnknown(auth, GUARD_KEYS, 'the console auth options');
    const { guard, roleOf } = auth as Partial<ConsoleGuardAuth>;
    if (typeof guard !== 'function' || typeof guard.prototype?.canActivate !== 'function') {
      invalid('auth.guard must be a guard class (one with canActivate), as given to @UseGuards().');
    }
    if (typeof roleOf !== 'function') {
      invalid(
        'auth.roleOf is missing: say what each request may do, roleOf: (request) => "admin" | "guest" | undefined.',
      );
    }
    return { ...base, guard: { guard, roleOf } };
  }
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
  return { ...base, users: users as ConsoleUser[] };
}
