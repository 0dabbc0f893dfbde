// What test/docs/console-guard.ts imports: an app's own authentication, as small as it gets
// (a real app has passport, sessions or JWTs here).
import { Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';

@Injectable()
export class TokenDirectory {
  private readonly users = new Map([['ops-token', { name: 'ops', groups: ['ops'] }]]);
  userOf(token: string | undefined) {
    return token === undefined ? undefined : this.users.get(token);
  }
}

@Module({ providers: [TokenDirectory], exports: [TokenDirectory] })
export class AuthModule {}

@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly directory: TokenDirectory) {}
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>();
    request.user = this.directory.userOf(request.headers.authorization?.replace(/^Bearer /, ''));
    return request.user !== undefined;
  }
}
