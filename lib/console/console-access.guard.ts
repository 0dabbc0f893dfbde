import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { ConsoleRole, ConsoleUser, ResolvedConsoleOptions } from './console-options.js';

export const CONSOLE_OPTIONS = 'elastic-job:console-options';
/** Metadata of a route that changes the cluster: admins only, and never from another site. */
export const CONSOLE_WRITE = 'elastic-job:console-write';
/**
 * The header every write must carry. A page of another site cannot send it without the
 * browser asking this server first (CORS), so a forged form or link cannot write.
 */
export const CONSOLE_WRITE_HEADER = 'x-elastic-job-console';

/** Who is calling, as the guard found out (`name` undefined with `auth: false`). */
export interface ConsoleIdentity {
  name: string | undefined;
  role: ConsoleRole;
}

const REALM = 'Basic realm="ElasticJob console", charset="UTF-8"';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

interface KnownUser {
  name: string;
  role: ConsoleRole;
  password: Buffer;
}

/**
 * Who may use the console: HTTP Basic authentication against the users of the options
 * (passwords compared in constant time, over their digests), `admin` for writes, and a
 * header of the console's own on every write. With `auth: false`, everyone is admin; writes
 * still need the header.
 */
@Injectable()
export class ConsoleAccessGuard implements CanActivate {
  private readonly users: KnownUser[] | undefined;
  private readonly roleOf: ((request: unknown) => ConsoleRole | undefined) | undefined;

  constructor(
    @Inject(CONSOLE_OPTIONS) options: ResolvedConsoleOptions,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.users = options.users?.map((user: ConsoleUser) => ({
      name: user.name,
      role: user.role,
      password: digest(user.password),
    }));
    this.roleOf = options.guard?.roleOf;
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const write = this.reflector.get<boolean>(CONSOLE_WRITE, context.getHandler()) === true;
    if (this.roleOf) return this.allow(request, write, { name: undefined, role: this.roleOf(request) });
    const user = this.users ? this.userOf(request.headers.authorization) : { name: undefined, role: 'admin' as const };
    if (!user) {
      this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'WWW-Authenticate', REALM);
      throw new UnauthorizedException('The ElasticJob console needs a user name and password.');
    }
    return this.allow(request, write, user);
  }

  /** The role's rights: anyone known reads; an admin writes, with the console's header. */
  private allow(
    request: { headers: Record<string, string | string[] | undefined> },
    write: boolean,
    user: { name: string | undefined; role: ConsoleRole | undefined },
  ): boolean {
    const { role } = user;
    if (role !== 'admin' && role !== 'guest') {
      throw new ForbiddenException("The app's guard let this request in, but roleOf gave it no console role.");
    }
    (request as { consoleUser?: ConsoleIdentity }).consoleUser = { name: user.name, role };
    if (!write) return true;
    if (role !== 'admin') {
      throw new ForbiddenException('This changes the cluster: only an admin of the ElasticJob console may do it.');
    }
    if (request.headers[CONSOLE_WRITE_HEADER] === undefined) {
      throw new ForbiddenException(
        `A write to the ElasticJob console must carry the header "${CONSOLE_WRITE_HEADER}" (a guard against requests from other sites).`,
      );
    }
    return true;
  }

  private userOf(header: string | string[] | undefined): ConsoleIdentity | undefined {
    if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const name = decoded.slice(0, colon);
    const given = digest(decoded.slice(colon + 1));
    let found: KnownUser | undefined;
    // Every user's password is compared, so the time taken says nothing of which name exists.
    for (const user of this.users ?? []) {
      const same = timingSafeEqual(user.password, given);
      if (same && user.name === name) found = user;
    }
    return found ? { name: found.name, role: found.role } : undefined;
  }
}
