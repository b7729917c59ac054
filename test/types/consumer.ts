// A controller as an application writes it, checked by `npm run typecheck` (never run): the types a user sees
// must let `req.user.sub` and `@Claims()` through without a cast, and still catch mistakes (the
// `@ts-expect-error` lines fail the type-check if the types ever degrade to `any`).
import { Controller, Get, Injectable, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { Claims, JwtAuthGuard, Rs256Strategy, type AuthenticatedRequest, type JwtClaims } from '../../src/index.js';

interface AppUser {
  id: string;
  name: string;
}

@Injectable()
export class AppUserStrategy extends Rs256Strategy {
  override validate(claims: JwtClaims): AppUser {
    return { id: claims.sub ?? '', name: 'n' };
  }
}

@Controller()
@UseGuards(JwtAuthGuard)
export class ConsumerController {
  @Get('me')
  me(@Req() req: Request & AuthenticatedRequest): { subject: string | undefined; expires: number | undefined; path: string } {
    const subject: string | undefined = req.user.sub;
    const expires = req.authInfo.exp;
    // @ts-expect-error sub is a string, not a number
    const wrong: number = req.user.sub;
    void wrong;
    return { subject, expires, path: req.path };
  }

  @Get('user')
  user(@Req() req: AuthenticatedRequest<AppUser>): string {
    // @ts-expect-error an AppUser has no sub: the strategy mapped the claims
    void req.user.sub;
    return req.user.name + (req.authInfo.sub ?? '');
  }

  @Get('claims')
  claims(@Claims() claims: JwtClaims, @Claims('sub') subject: string): string {
    const audiences: string | string[] | undefined = claims.aud;
    // @ts-expect-error iat is a NumericDate
    const issued: string = claims.iat;
    void issued;
    return `${subject} ${String(audiences)} ${claims.iss?.toUpperCase() ?? ''}`;
  }
}
