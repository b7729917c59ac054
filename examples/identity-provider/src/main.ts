/**
 * A resource server for an identity provider (Keycloak, Auth0, Cognito, Entra ID, oidc-provider): it holds no key
 * and is configured by its environment alone, e.g. JWT_ISSUER_URL and JWT_AUDIENCE (see README.md).
 */
import 'reflect-metadata';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { Claims, JwtAuthGuard, Public, RequireClaims, Rs256AuthModule, type JwtClaims } from 'nestjs-rs256-auth';

@Controller()
class OrdersController {
  @Public()
  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }

  /** Any valid token: who is calling, and through which client. */
  @Get('me')
  me(@Claims() claims: JwtClaims): { iss?: string; sub?: string; client_id: unknown } {
    return { iss: claims.iss, sub: claims.sub, client_id: claims.client_id };
  }

  /** Needs the scope orders:read. */
  @RequireClaims({ scopes: ['orders:read'] })
  @Get('orders')
  orders(@Claims('sub') subject: string): { owner: string; orders: string[] } {
    return { owner: subject, orders: ['order-1001'] };
  }

  /** Needs one of two roles, read where JWT_ROLES_CLAIM says (Keycloak: realm_access.roles, resource_access.<client>.roles). */
  @RequireClaims({ roles: { anyOf: ['admin', 'auditor'] } })
  @Get('audit')
  audit(): { entries: number } {
    return { entries: 0 };
  }
}

@Module({
  // Every setting from the environment: JWT_ISSUER_URL or JWT_TRUSTED_ISSUERS, JWT_AUDIENCE, and the optional ones.
  imports: [ConfigModule.forRoot({ isGlobal: true }), Rs256AuthModule.forRoot()],
  controllers: [OrdersController],
  providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
await app.listen(Number(process.env.PORT ?? 3003), '127.0.0.1');
new Logger('identity-provider').log(`Listening on ${await app.getUrl()}`);
