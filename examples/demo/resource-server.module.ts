import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtAuthGuard, Rs256AuthModule } from 'nestjs-rs256-auth';
import { DemoController } from './demo.controller.js';

/**
 * A second service that only verifies: its keys come from the issuer's JWK Set (`JWT_JWKS_URI`, or found by
 * discovery from `JWT_ISSUER_URL`, or from several issuers' with `JWT_TRUSTED_ISSUERS`), it holds no key file and
 * signs nothing. Settings come from the environment alone: the demo's .env.example belongs to the issuer.
 */
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }), Rs256AuthModule.forRoot()],
  controllers: [DemoController],
  providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
})
export class ResourceServerModule {}
