import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { LabError } from '../common/lab-error';
import { AuthService } from './auth.service';
import { Principal, Role } from './principal';

const PUBLIC = 'lab:public';
const ROLES = 'lab:roles';

/** The route needs no token (health, join). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Only these roles may call the route (a known token with another role gets 403). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** The caller, as the guard found it. */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return (ctx.switchToHttp().getRequest<Request & { principal: Principal }>()).principal;
});

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly auth: AuthService) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const header = req.headers.authorization;
    if (!header) throw new LabError('UNAUTHENTICATED', 'This route needs a token: send "Authorization: Bearer <token>".');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new LabError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".');
    const principal = this.auth.verify(m[1]);
    if (!principal) throw new LabError('UNAUTHENTICATED', this.auth.refusal(m[1]));
    req.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new LabError('FORBIDDEN', `Only the ${roles.join(' or ')} may do this.`);
    }
    return true;
  }
}
