import { Controller, Get } from '@nestjs/common';
import { Claims, Public, RequireClaims, type JwtClaims } from 'nestjs-rs256-auth';

/** Guarded by the app-wide JwtAuthGuard unless marked `@Public()`. */
@Controller()
export class DemoController {
  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('profile')
  profile(@Claims() claims: JwtClaims): JwtClaims {
    return claims;
  }

  @RequireClaims({ scopes: ['orders:read'] })
  @Get('orders')
  orders(@Claims('sub') subject: string): { owner: string; orders: { id: string; total: number }[] } {
    return {
      owner: subject,
      orders: [
        { id: 'order-1001', total: 42 },
        { id: 'order-1002', total: 7.5 },
      ],
    };
  }
}
